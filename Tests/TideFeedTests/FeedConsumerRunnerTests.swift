import Foundation
import Synchronization
import TideFeed
import TideModel
import TideStore
import Testing

private let schema = """
    type Item @model @auth(rules: [{ allow: public }]) { id: ID! name: String }
    """

/// A consumer that keeps what it applied in memory, keyed by seq (so re-applying an entry
/// changes nothing), and can be held at a gate to stand still mid-feed.
final class RecordingConsumer: FeedConsumer {
    let name: String
    let batchSize: Int
    let batchWindow: Duration
    let start: FeedStart
    let priority: ConsumerPriority
    let seen = Mutex<[Int64: String]>([:])
    let deliveries = Mutex<[Int64]>([])
    let batches = Mutex<[[Int64]]>([])
    let skips = Mutex<[(Int64, Int64)]>([])
    let held = Atomic<Bool>(false)
    /// The thread each batch ran on and its scheduling policy.
    let threads = Mutex<[(thread: pthread_t, policy: Int32)]>([])

    init(
        name: String = "recorder", batchSize: Int = 4, batchWindow: Duration = .zero, start: FeedStart = .beginning,
        priority: ConsumerPriority = .normal
    ) {
        self.name = name
        self.batchSize = batchSize
        self.batchWindow = batchWindow
        self.start = start
        self.priority = priority
    }

    func apply(_ entries: [FeedEntry]) async throws {
        threads.withLock { $0.append((pthread_self(), sched_getscheduler(0))) }
        while held.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
        deliveries.withLock { $0 += entries.map(\.seq) }
        batches.withLock { $0.append(entries.map(\.seq)) }
        seen.withLock { seen in for entry in entries { seen[entry.seq] = entry.id } }
    }

    func skip(from position: Int64, to available: Int64) async throws -> Int64 {
        skips.withLock { $0.append((position, available)) }
        return available - 1
    }

    var appliedSeqs: [Int64] { seen.withLock { $0.keys.sorted() } }
}

@Suite("Feed consumers", .timeLimit(.minutes(3)))
struct FeedConsumerRunnerTests {
    func create(_ store: Store, _ count: Int, prefix: String) async throws {
        for i in 0..<count {
            _ = try await store.create(model: "Item", id: "\(prefix)\(i)", values: ["name": "n"], condition: nil, actor: "t")
        }
    }

    @Test func appliesEveryEntryInOrderAndResumesFromItsCheckpoint() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        try await create(store, 10, prefix: "a")

        let first = RecordingConsumer()
        let runner = FeedConsumerRunner(consumer: first, store: store, logger: quietLogger)
        try await whileRunning(runner) {
            try await eventually("the first ten") { first.appliedSeqs.count == 10 }
            // Woken by commits, not by polling: later writes arrive too.
            try await create(store, 3, prefix: "b")
            try await eventually("three more") { first.appliedSeqs.count == 13 }
        }
        #expect(first.deliveries.withLock { $0 } == Array(1...13), "in order, each once, in batches of at most 4")
        #expect(try store.checkpoint(consumer: "recorder") == 13, "saved at stop")

        try await create(store, 5, prefix: "c")
        let second = RecordingConsumer()
        try await whileRunning(FeedConsumerRunner(consumer: second, store: store, logger: quietLogger)) {
            try await eventually("the five written while stopped") { second.appliedSeqs.count == 5 }
        }
        #expect(second.deliveries.withLock { $0 } == Array(14...18))
    }

    /// Commits landing between the runner's feed read and its look at the head must not pass
    /// for a trimmed feed: under concurrent writers every entry arrives and nothing is skipped.
    @Test func concurrentCommitsAreNeverTakenForATrimmedFeed() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        let consumer = RecordingConsumer(batchSize: 2)
        let runner = FeedConsumerRunner(consumer: consumer, store: store, logger: quietLogger)
        try await whileRunning(runner) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 { group.addTask { try await self.create(store, 250, prefix: "w\(writer)-") } }
                try await group.waitForAll()
            }
            try await eventually("all 2,000") { consumer.appliedSeqs.count == 2000 }
        }
        #expect(consumer.skips.withLock { $0.isEmpty }, "skipped \(consumer.skips.withLock { $0 })")
        #expect(consumer.deliveries.withLock { $0 } == Array(1...2000))
    }

    /// With a batch window, the commits made while the consumer waits after a batch arrive
    /// together; the first commit after idling is applied without waiting for the window.
    @Test func aBatchWindowGathersTheCommitsMadeMeanwhile() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        let consumer = RecordingConsumer(batchSize: 1000, batchWindow: .seconds(3))
        let runner = FeedConsumerRunner(consumer: consumer, store: store, logger: quietLogger)
        try await whileRunning(runner) {
            try await create(store, 1, prefix: "first")
            try await eventually("the first commit", timeout: .seconds(2)) { consumer.appliedSeqs == [1] }
            // 40 commits, one create each, while the runner sits out its window.
            try await create(store, 40, prefix: "burst")
            try await eventually("the burst") { consumer.appliedSeqs.count == 41 }
        }
        let batches = consumer.batches.withLock { $0 }
        #expect(batches.first == [1])
        #expect(batches.count <= 3, "40 commits in \(batches.count - 1) batches")
        #expect(batches.flatMap { $0 } == Array(1...41))
    }

    /// Batches run on a thread of the consumer's own, never on the global executor the
    /// requests use; a background consumer's thread gets only idle time (`SCHED_IDLE`).
    @Test(arguments: [ConsumerPriority.normal, .background])
    func batchesRunOnTheConsumersOwnThread(priority: ConsumerPriority) async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        let consumer = RecordingConsumer(batchSize: 2, priority: priority)
        // Never behind enough to catch up at normal priority, however busy the machine.
        let runner = FeedConsumerRunner(consumer: consumer, store: store, catchUpLag: .seconds(3600), logger: quietLogger)
        var globalThreads: [pthread_t] = []
        try await whileRunning(runner) {
            for i in 0..<5 {
                try await create(store, 2, prefix: "p\(i)-")
                globalThreads.append(await Task.detached { pthread_self() }.value)
                try await eventually("batch \(i)") { consumer.appliedSeqs.count == 2 * (i + 1) }
            }
        }
        let threads = consumer.threads.withLock { $0 }
        #expect(threads.count >= 5)
        #expect(Set(threads.map { UInt($0.thread) }).count == 1, "every batch on the same thread")
        #expect(!globalThreads.contains(threads[0].thread), "not a thread of the global executor")
        #expect(threads.allSatisfy { $0.policy == (priority == .background ? 5 /* SCHED_IDLE */ : SCHED_OTHER) })
    }

    /// A background consumer more than `catchUpLag` behind competes at normal priority until
    /// it has caught up, then goes back to idle time.
    @Test func aBackgroundConsumerFarBehindCatchesUpAtNormalPriority() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        try await create(store, 6, prefix: "old")
        try await Task.sleep(for: .milliseconds(2500))
        let consumer = RecordingConsumer(batchSize: 2, priority: .background)
        // 2 s: a fresh entry (back under 0.5 s) reads as caught up even on a machine busy with other tests.
        let runner = FeedConsumerRunner(consumer: consumer, store: store, catchUpLag: .seconds(2), logger: quietLogger)
        try await whileRunning(runner) {
            try await eventually("the old entries") { consumer.appliedSeqs.count == 6 }
            try await create(store, 1, prefix: "fresh")
            try await eventually("the fresh one") { consumer.appliedSeqs.count == 7 }
        }
        let policies = consumer.threads.withLock { $0.map(\.policy) }
        #expect(policies.prefix(3) == [SCHED_OTHER, SCHED_OTHER, SCHED_OTHER], "behind by more than catchUpLag: \(policies)")
        #expect(policies.last == 5 /* SCHED_IDLE */, "caught up: \(policies)")
    }

    /// After a crash the entries after the last saved checkpoint come again; an idempotent
    /// consumer ends in the same state.
    @Test func entriesAfterTheSavedCheckpointAreDeliveredAgainAfterACrash() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        try await create(store, 12, prefix: "a")
        let consumer = RecordingConsumer()
        try await whileRunning(FeedConsumerRunner(consumer: consumer, store: store, logger: quietLogger)) {
            try await eventually("all twelve") { consumer.appliedSeqs.count == 12 }
        }
        // As if the process died after saving the checkpoint at 5.
        try await store.saveCheckpoint(consumer: "recorder", seq: 5)
        let stateBefore = consumer.seen.withLock { $0 }
        try await whileRunning(FeedConsumerRunner(consumer: consumer, store: store, logger: quietLogger)) {
            try await eventually("the replay") { consumer.deliveries.withLock { $0.count } == 12 + 7 }
        }
        #expect(consumer.deliveries.withLock { Array($0.suffix(7)) } == Array(6...12))
        #expect(consumer.seen.withLock { $0 } == stateBefore)
    }

    @Test func aNewConsumerStartsAtTheHeadByDefault() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        try await create(store, 4, prefix: "old")
        let consumer = RecordingConsumer(name: "fresh", start: .head)
        try await whileRunning(FeedConsumerRunner(consumer: consumer, store: store, logger: quietLogger)) {
            try await eventually("registered") { (try store.checkpoint(consumer: "fresh")) == 4 }
            try await create(store, 2, prefix: "new")
            try await eventually("the new ones") { consumer.appliedSeqs == [5, 6] }
        }
    }

    /// Retention never trims an entry a live consumer has not applied; a consumer declared dead
    /// no longer holds it, and when it comes back it is told what it missed.
    @Test func retentionWaitsForALiveConsumerUntilItIsDeclaredDead() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        let consumer = RecordingConsumer(batchSize: 2)
        let runner = FeedConsumerRunner(consumer: consumer, store: store, checkpointInterval: .zero, logger: quietLogger)
        try await whileRunning(runner) {
            try await create(store, 4, prefix: "a")
            try await eventually("four applied") { consumer.appliedSeqs.count == 4 }
            consumer.held.store(true, ordering: .releasing)
            try await create(store, 6, prefix: "b")
            try await Task.sleep(for: .milliseconds(100))
            // Retention 0 s: everything is old enough, but entries 5… wait for the consumer.
            let purged = try await store.purge(now: Date().addingTimeInterval(60))
            #expect(purged.feedEntries <= 4)
            #expect(try store.feed(after: 4, limit: 100).map(\.seq) == Array(5...10))

            // Lag while it stands still: entries and seconds.
            let lag = runner.lag(now: Date().addingTimeInterval(5))
            #expect(lag.entries >= 5)
            #expect(lag.seconds >= 5)

            consumer.held.store(false, ordering: .releasing)
            try await eventually("caught up") { consumer.appliedSeqs.count == 10 }
            #expect(runner.lag() == FeedLag(entries: 0, seconds: 0))
        }

        // Declared dead: retention trims past it.
        #expect(try await store.removeCheckpoint(consumer: "recorder"))
        try await create(store, 3, prefix: "c")
        _ = try await store.purge(now: Date().addingTimeInterval(60))
        #expect(try store.feed(after: 0, limit: 100).isEmpty)

        // It comes back without a checkpoint: the runner tells it that 1…13 are gone.
        let back = RecordingConsumer(batchSize: 2)
        try await whileRunning(FeedConsumerRunner(consumer: back, store: store, logger: quietLogger)) {
            try await create(store, 1, prefix: "d")
            try await eventually("the entry after the gap") { back.appliedSeqs == [14] }
        }
        #expect(back.skips.withLock { $0.map { [$0.0, $0.1] } } == [[0, 14]])
    }

    /// A consumer that goes idle right after a batch still saves where it got to within about a
    /// checkpoint interval, without another commit to wake it: retention waits for that row.
    @Test func anIdleConsumerSavesItsPositionWithoutAnotherCommit() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        let consumer = RecordingConsumer()
        let runner = FeedConsumerRunner(consumer: consumer, store: store, checkpointInterval: .milliseconds(200), logger: quietLogger)
        try await whileRunning(runner) {
            try await eventually("registered") { (try store.checkpoint(consumer: "recorder")) == 0 }
            try await create(store, 3, prefix: "a")
            try await eventually("applied") { consumer.appliedSeqs.count == 3 }
            try await eventually("saved while idle") { (try store.checkpoint(consumer: "recorder")) == 3 }
            let purged = try await store.purge(now: Date().addingTimeInterval(60))
            #expect(purged.feedEntries == 3, "nothing holds the applied entries any more")
        }
    }

    @Test func waitUntilAppliedAnswersWhenTheConsumerGetsThereOrTimesOut() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        let consumer = RecordingConsumer()
        let runner = FeedConsumerRunner(consumer: consumer, store: store, logger: quietLogger)
        try await whileRunning(runner) {
            try await eventually("started") { runner.position != nil }
            consumer.held.store(true, ordering: .releasing)
            try await create(store, 1, prefix: "a")
            #expect(await runner.waitUntilApplied(1, timeout: .milliseconds(100)) == false)
            async let reached = runner.waitUntilApplied(1, timeout: .seconds(20))
            consumer.held.store(false, ordering: .releasing)
            #expect(await reached)
        }
    }
}
