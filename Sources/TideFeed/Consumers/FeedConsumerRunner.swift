import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TideStore

/// Runs one ``FeedConsumer`` beside the server: a swift-service-lifecycle `Service` that reads
/// the feed from the consumer's checkpoint, sleeps until the store signals a commit, and stops
/// (saving its checkpoint) at graceful shutdown.
///
/// The store's `_checkpoints` row named after the consumer is written when the runner starts
/// and then at most once per `checkpointInterval` and at stop: it is the consumer's position
/// for consumers that keep none of their own, and in every case the retention hold — the store
/// never trims an entry after the lowest row, so a live consumer never misses one.
///
/// ```swift
/// let runner = FeedConsumerRunner(consumer: indexer, store: store, logger: logger)
/// let group = ServiceGroup(configuration: .init(services: [.init(service: runner), …], logger: logger))
/// // /metrics: runner.lag() → entries and seconds behind the feed head.
/// ```
public final class FeedConsumerRunner: Service, Sendable {
    public let consumer: any FeedConsumer
    let store: any RecordStore
    let checkpointInterval: Duration
    /// How far behind (the age of the oldest entry not applied) a ``ConsumerPriority/background``
    /// consumer may fall before its thread competes with the requests at normal priority.
    let catchUpLag: Duration
    let logger: Logger
    /// The seq every entry up to which the consumer has applied; -1 before it started.
    private let applied = Atomic<Int64>(-1)
    private let waiters = Mutex<[(seq: Int64, id: Int, continuation: CheckedContinuation<Bool, Never>)]>([])
    private let nextWaiter = Atomic<Int>(0)

    public init(
        consumer: any FeedConsumer, store: any RecordStore, checkpointInterval: Duration = .seconds(1),
        catchUpLag: Duration = .seconds(1), logger: Logger = Logger(label: "tidewater.feed")
    ) {
        self.consumer = consumer
        self.store = store
        self.checkpointInterval = checkpointInterval
        self.catchUpLag = catchUpLag
        self.logger = logger
    }

    public var name: String { consumer.name }

    /// The position the consumer has applied through; nil before it has started.
    public var position: Int64? {
        let value = applied.load(ordering: .acquiring)
        return value < 0 ? nil : value
    }

    /// How far the consumer is behind the feed head: entries, and seconds since the oldest
    /// entry it has not applied was committed (0 when caught up).
    public func lag(now: Date = Date()) -> FeedLag {
        let head = store.feedHead
        let position = position ?? 0
        guard head > position else { return FeedLag(entries: 0, seconds: 0) }
        let committed = (try? store.feedTimestamp(seq: position + 1)) ?? nil
        let seconds = committed.map { max(0, now.timeIntervalSince1970 - Double($0) / 1000) } ?? 0
        return FeedLag(entries: head - position, seconds: seconds)
    }

    /// Waits until the consumer has applied `seq` (read-your-writes); false after `timeout`.
    public func waitUntilApplied(_ seq: Int64, timeout: Duration) async -> Bool {
        if applied.load(ordering: .acquiring) >= seq { return true }
        let id = nextWaiter.add(1, ordering: .relaxed).newValue
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let ready = self.waiters.withLock { waiters -> Bool in
                            if self.applied.load(ordering: .acquiring) >= seq { return true }
                            waiters.append((seq, id, continuation))
                            return false
                        }
                        if ready { continuation.resume(returning: true) }
                    }
                } onCancel: {
                    self.resumeWaiters { $0.id == id ? false : nil }
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Resumes and removes the waiters for which `outcome` answers.
    private func resumeWaiters(_ outcome: (_ waiter: (seq: Int64, id: Int)) -> Bool?) {
        let ready = waiters.withLock { waiters in
            var ready: [(CheckedContinuation<Bool, Never>, Bool)] = []
            waiters.removeAll { waiter in
                guard let result = outcome((waiter.seq, waiter.id)) else { return false }
                ready.append((waiter.continuation, result))
                return true
            }
            return ready
        }
        for (continuation, result) in ready { continuation.resume(returning: result) }
    }

    private func advance(to seq: Int64) {
        applied.store(seq, ordering: .releasing)
        resumeWaiters { $0.seq <= seq ? true : nil }
    }

    // MARK: - Running

    public func run() async throws {
        // The consumer's batches run on a thread of its own, off the global executor the
        // requests run on (ConsumerThread says why).
        let thread = try await ConsumerThread.start(priority: consumer.priority)
        do {
            try await withTaskExecutorPreference(thread) { try await serve() }
        } catch {
            try? await thread.stop()
            throw error
        }
        try await thread.stop()
    }

    private func serve() async throws {
        // Subscribed before the first read, so no commit between the read and the wait is missed.
        let commits = store.commits()
        let position = try await startPosition()
        advance(to: position)
        try await store.saveCheckpoint(consumer: name, seq: position)
        logger.info("feed consumer started", metadata: ["consumer": "\(name)", "position": "\(position)"])

        // Woken by every commit, and once per checkpoint interval: an idle consumer still saves
        // the position its last batch reached, which is what retention waits for.
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let forwarding = Task {
            for await _ in commits { wake.yield() }
            wake.finish()
        }
        let ticking = Task { [checkpointInterval] in
            while (try? await Task.sleep(for: checkpointInterval)) != nil { wake.yield() }
        }
        defer {
            forwarding.cancel()
            ticking.cancel()
        }
        let saved = await cancelWhenGracefulShutdown { [self] in await follow(wakes, from: position) }
        let final = applied.load(ordering: .acquiring)
        if final != saved {
            do {
                try await store.saveCheckpoint(consumer: name, seq: final)
            } catch {
                logger.warning("could not save the checkpoint at stop", metadata: ["consumer": "\(name)", "error": "\(error)"])
            }
        }
        resumeWaiters { _ in false }
        logger.info("feed consumer stopped", metadata: ["consumer": "\(name)", "position": "\(final)"])
    }

    /// Applies batches until cancelled or the store closes; returns the position last saved to
    /// the checkpoint row.
    private func follow(_ wakes: AsyncStream<Void>, from start: Int64) async -> Int64 {
        var position = start
        var catchingUp = false
        var saved = start
        var lastSave = ContinuousClock.now
        var wake = wakes.makeAsyncIterator()
        var failures = 0
        while !Task.isCancelled {
            do {
                // The head is read before the feed: every entry up to it was committed before the
                // read began. Read after, a commit landing in between looks like a trimmed feed.
                let head = store.feedHead
                let entries = try store.feed(after: position, limit: max(1, consumer.batchSize))
                if entries.isEmpty {
                    if head > position {
                        // Everything after the position was trimmed.
                        position = try await skip(from: position, to: head + 1)
                        saved = position
                        continue
                    }
                    if position != saved, ContinuousClock.now - lastSave >= checkpointInterval {
                        try await store.saveCheckpoint(consumer: name, seq: position)
                        (saved, lastSave) = (position, .now)
                    }
                    // Idle: sleep until a commit or a tick (shutdown cancels the wait, a closed store ends it).
                    guard await wake.next() != nil else { break }
                    continue
                }
                if entries[0].seq != position + 1 {
                    position = try await skip(from: position, to: entries[0].seq)
                    saved = position
                    continue
                }
                if consumer.priority == .background {
                    let behind = Duration.milliseconds(Int64(Date().timeIntervalSince1970 * 1000) - entries[0].timestamp)
                    if !catchingUp, behind > catchUpLag {
                        catchingUp = true
                        ConsumerThread.adopt(.normal)
                    } else if catchingUp, behind < catchUpLag / 4 {
                        catchingUp = false
                        ConsumerThread.adopt(.background)
                    }
                }
                try await consumer.apply(entries)
                failures = 0
                position = entries[entries.count - 1].seq
                advance(to: position)
                if ContinuousClock.now - lastSave >= checkpointInterval {
                    try await store.saveCheckpoint(consumer: name, seq: position)
                    (saved, lastSave) = (position, .now)
                }
                // A batch short of full emptied the feed: let the next commits gather.
                let window = consumer.batchWindow
                if window > .zero, entries.count < consumer.batchSize {
                    try? await Task.sleep(for: window)
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                let delay = min(30.0, 0.1 * pow(2, Double(min(failures, 9))))
                logger.error(
                    "feed consumer failed; retrying",
                    metadata: ["consumer": "\(name)", "position": "\(position)", "retryIn": "\(delay)s", "error": "\(error)"])
                try? await Task.sleep(for: .seconds(delay))
            }
        }
        return saved
    }

    private func startPosition() async throws -> Int64 {
        if let own = try await consumer.resume() { return own }
        if let stored = try store.checkpoint(consumer: name) { return stored }
        switch consumer.start {
        case .head: return store.feedHead
        case .beginning: return 0
        }
    }

    private func skip(from position: Int64, to available: Int64) async throws -> Int64 {
        logger.warning(
            "feed entries were trimmed before this consumer applied them",
            metadata: ["consumer": "\(name)", "position": "\(position)", "firstAvailable": "\(available)"])
        let next = try await consumer.skip(from: position, to: available)
        advance(to: next)
        try await store.saveCheckpoint(consumer: name, seq: next)
        return next
    }
}

/// How far a consumer is behind the feed head.
public struct FeedLag: Sendable, Hashable {
    /// Committed entries not applied yet.
    public var entries: Int64
    /// Seconds since the oldest of them was committed; 0 when caught up.
    public var seconds: Double

    public init(entries: Int64, seconds: Double) {
        self.entries = entries
        self.seconds = seconds
    }
}
