/// Counters of the write path, for `/metrics`. Batch-size buckets are non-cumulative counts of
/// committed batches whose size is ≤ the bound (and > the previous bound); the last bucket
/// counts batches larger than every bound.
public struct StoreStatistics: Sendable, Hashable {
    /// Batch transactions committed.
    public var commits: Int64 = 0
    /// Batch transactions whose COMMIT failed (every write in them failed).
    public var failedCommits: Int64 = 0
    /// Writes whose changes were committed.
    public var writesCommitted: Int64 = 0
    /// Writes rejected or rolled back (condition failed, conflicts, errors, failed commits).
    public var writesFailed: Int64 = 0
    /// Jobs in the most recent batch.
    public var lastBatchSize: Int = 0
    public var largestBatchSize: Int = 0
    /// Sum of the sizes of all committed batches (mean = batchSizeSum / commits).
    public var batchSizeSum: Int64 = 0
    /// Time spent in COMMIT (the fsync under `Durability.full`), in nanoseconds.
    public var commitNanoseconds: UInt64 = 0
    /// Time from BEGIN to the end of COMMIT, in nanoseconds.
    public var transactionNanoseconds: UInt64 = 0

    public static let batchSizeBucketBounds: [Int] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    /// One count per bound, then one for larger batches.
    public var batchSizeBucketCounts: [Int64] = Array(repeating: 0, count: batchSizeBucketBounds.count + 1)

    public init() {}

    mutating func recordBatch(size: Int, committed: Int, failed: Int, commitNanos: UInt64, totalNanos: UInt64) {
        commits += 1
        writesCommitted += Int64(committed)
        writesFailed += Int64(failed)
        lastBatchSize = size
        largestBatchSize = max(largestBatchSize, size)
        batchSizeSum += Int64(size)
        commitNanoseconds += commitNanos
        transactionNanoseconds += totalNanos
        let bucket = Self.batchSizeBucketBounds.firstIndex { size <= $0 } ?? Self.batchSizeBucketBounds.count
        batchSizeBucketCounts[bucket] += 1
    }

    mutating func recordFailedBatch(size: Int) {
        failedCommits += 1
        writesFailed += Int64(size)
        lastBatchSize = size
    }
}
