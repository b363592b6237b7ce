import Dispatch
import Foundation
import Logging
import Synchronization
import TideSQLite

/// Counters shared between the writer thread and readers of `Store.feedHead`/`statistics`.
final class StoreCounters: Sendable {
    let feedHead: Atomic<Int64>
    let statistics = Mutex(StoreStatistics())
    let commits = CommitSignal()

    init(feedHead: Int64) { self.feedHead = Atomic(feedHead) }
}

/// The single writer: one dedicated thread (not the cooperative pool, since it blocks on
/// fsync) owning the read-write connection, committing queued writes in groups.
///
/// Each batch is one `BEGIN IMMEDIATE … COMMIT`; each job runs inside its own `SAVEPOINT`, so a
/// failing job (condition, conflict, constraint) rolls back only itself. Completions run after
/// COMMIT returns — nothing is acknowledged before it is durable. If COMMIT fails, every job of
/// the batch fails.
final class Writer: Sendable {
    let queue = WriteQueue()
    private let connection: Connection
    private let counters: StoreCounters
    private let maxBatchSize: Int
    private let logger: Logger
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    private let clock: StampClock

    init(connection: Connection, counters: StoreCounters, maxBatchSize: Int, clock: StampClock, logger: Logger) {
        self.connection = connection
        self.clock = clock
        self.counters = counters
        self.maxBatchSize = max(1, maxBatchSize)
        self.logger = logger
    }

    func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in
            let session = WriteSession(
                connection: connection, logger: logger, lastFeedSeq: counters.feedHead.load(ordering: .acquiring),
                clock: clock)
            while let batch = queue.nextBatch(maxCount: maxBatchSize) {
                process(batch[...], session)
            }
            finished.signal()
        }
        thread.name = "tidewater.writer"
        thread.start()
    }

    /// Drains the queue and waits for the thread to end. Afterwards the connection is free for
    /// the caller. Idempotent.
    func stop() {
        queue.close()
        guard started.load(ordering: .acquiring), !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }

    private enum Outcome {
        case done(@Sendable (StoreError?) -> Void)
        case failed(@Sendable (StoreError) -> Void, StoreError)
    }

    private func process(_ batch: ArraySlice<WriteJob>, _ session: WriteSession) {
        let startNanos = DispatchTime.now().uptimeNanoseconds
        let seqAtStart = session.lastFeedSeq
        do throws(StoreError) {
            try StoreError.wrapping(connection.run("BEGIN IMMEDIATE"))
        } catch {
            logger.error("cannot begin a write transaction", metadata: ["error": "\(error)"])
            for job in batch { job.fail(error) }
            counters.statistics.withLock { $0.recordFailedBatch(size: batch.count) }
            return
        }

        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(batch.count)
        var index = batch.startIndex
        while index != batch.endIndex {
            let job = batch[index]
            batch.formIndex(after: &index)
            let seqBefore = session.lastFeedSeq
            do throws(StoreError) {
                try StoreError.wrapping(connection.run("SAVEPOINT \"job\""))
            } catch {
                abort(outcomes + [.failed(job.fail, error)], error, session, seqAtStart, remaining: batch[index...])
                return
            }
            do throws(StoreError) {
                let completion = try job.run(session)
                try StoreError.wrapping(connection.run("RELEASE \"job\""))
                outcomes.append(.done(completion))
            } catch {
                session.lastFeedSeq = seqBefore
                do throws(StoreError) {
                    guard !connection.isAutocommit else { throw error }  // SQLite rolled the whole transaction back
                    try StoreError.wrapping(connection.run("ROLLBACK TO \"job\""))
                    try StoreError.wrapping(connection.run("RELEASE \"job\""))
                } catch let transactionError {
                    abort(outcomes + [.failed(job.fail, error)], transactionError, session, seqAtStart, remaining: batch[index...])
                    return
                }
                outcomes.append(.failed(job.fail, error))
            }
        }

        let commitStart = DispatchTime.now().uptimeNanoseconds
        do throws(StoreError) {
            try StoreError.wrapping(connection.run("COMMIT"))
        } catch {
            logger.error("commit failed; every write of the batch fails", metadata: ["error": "\(error)", "writes": "\(batch.count)"])
            abort(outcomes, error, session, seqAtStart, remaining: batch[batch.endIndex...])
            return
        }
        let endNanos = DispatchTime.now().uptimeNanoseconds

        clock.batchCommitted()
        counters.feedHead.store(session.lastFeedSeq, ordering: .releasing)
        if session.lastFeedSeq != seqAtStart { counters.commits.signal(head: session.lastFeedSeq) }
        var committed = 0
        for outcome in outcomes { if case .done = outcome { committed += 1 } }
        counters.statistics.withLock {
            $0.recordBatch(
                size: batch.count, committed: committed, failed: batch.count - committed,
                commitNanos: endNanos - commitStart, totalNanos: endNanos - startNanos)
        }
        logger.trace("batch committed", metadata: ["writes": "\(batch.count)", "failed": "\(batch.count - committed)"])
        for outcome in outcomes {
            switch outcome {
            case .done(let completion): completion(nil)
            case .failed(let fail, let error): fail(error)
            }
        }
    }

    /// The transaction is lost: roll back, fail what ran so far (jobs that had succeeded get
    /// `error`), and run the rest of the batch in a new transaction.
    private func abort(
        _ outcomes: [Outcome], _ error: StoreError, _ session: WriteSession, _ seqAtStart: Int64,
        remaining: ArraySlice<WriteJob>
    ) {
        if !connection.isAutocommit { _ = try? connection.run("ROLLBACK") }
        clock.batchAbandoned()
        session.lastFeedSeq = seqAtStart
        counters.statistics.withLock { $0.recordFailedBatch(size: outcomes.count) }
        for outcome in outcomes {
            switch outcome {
            case .done(let completion): completion(error)
            case .failed(let fail, let ownError): fail(ownError)
            }
        }
        if !remaining.isEmpty { process(remaining, session) }
    }
}
