import TideSQLite

extension Store {
    /// The highest committed feed seq (0 when nothing was ever written).
    public var feedHead: Int64 { counters.feedHead.load(ordering: .acquiring) }

    /// The feed head after every commit that appended entries (the newest only, when the
    /// consumer lags); finishes when the store closes.
    public func commits() -> AsyncStream<Int64> { counters.commits.observe() }

    /// Up to `limit` committed entries with seq > `after`, in seq order.
    public func feed(after seq: Int64, limit: Int) throws(StoreError) -> [FeedEntry] {
        try checkOpen()
        guard limit >= 1 else { return [] }
        return try read { connection throws(SQLiteError) in
            var entries: [FeedEntry] = []
            try connection.query(FeedSQL.select, [.int(seq), .int(Int64(limit))]) { entries.append(FeedSQL.decode($0)) }
            return entries
        }
    }

    /// The consumer's saved position, or nil when it never saved one.
    public func checkpoint(consumer: String) throws(StoreError) -> Int64? {
        try checkOpen()
        return try read { connection throws(SQLiteError) in
            try connection.queryFirst(FeedSQL.checkpoint, [.text(consumer)]) { $0.int64(0) }
        }
    }

    /// Saves the consumer's position durably (through the writer).
    public func saveCheckpoint(consumer: String, seq: Int64) async throws(StoreError) {
        guard !consumer.isEmpty else { throw .invalidValue(field: "consumer", reason: "must not be empty") }
        try await submit { session throws(StoreError) in try session.saveCheckpoint(consumer: consumer, seq: seq) }
    }

    /// When the entry at `seq` was committed (epoch ms), or nil when there is none (not yet
    /// written, or trimmed by retention). Feed consumers measure their lag in seconds with it.
    public func feedTimestamp(seq: Int64) throws(StoreError) -> Int64? {
        try checkOpen()
        return try read { connection throws(SQLiteError) in
            try connection.queryFirst(FeedSQL.timestamp, [.int(seq)]) { $0.int64(0) }
        }
    }

    /// Every saved consumer checkpoint, by consumer name.
    public func checkpoints() throws(StoreError) -> [ConsumerCheckpoint] {
        try checkOpen()
        return try read { connection throws(SQLiteError) in
            var rows: [ConsumerCheckpoint] = []
            try connection.query(FeedSQL.checkpoints) {
                rows.append(ConsumerCheckpoint(consumer: $0.text(0), seq: $0.int64(1), updatedAt: $0.int64(2)))
            }
            return rows
        }
    }

    /// Declares a consumer dead (ARCHITECTURE §5): its checkpoint row goes, so feed retention no
    /// longer waits for it. True when there was one. A consumer that starts again later finds
    /// the entries it missed trimmed and handles the gap (`FeedConsumer.skip` in TideFeed).
    @discardableResult
    public func removeCheckpoint(consumer: String) async throws(StoreError) -> Bool {
        try await submit { session throws(StoreError) in try session.removeCheckpoint(consumer: consumer) }
    }
}

/// A consumer's saved feed position (the `_checkpoints` row).
public struct ConsumerCheckpoint: Sendable, Hashable {
    public var consumer: String
    /// Every entry up to and including this seq is applied; retention keeps the entries after it.
    public var seq: Int64
    /// When the row was last saved (epoch ms).
    public var updatedAt: Int64

    public init(consumer: String, seq: Int64, updatedAt: Int64) {
        self.consumer = consumer
        self.seq = seq
        self.updatedAt = updatedAt
    }
}
