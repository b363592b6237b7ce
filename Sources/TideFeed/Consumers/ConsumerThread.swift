#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix

/// How a feed consumer's thread competes with the server's for the cores.
public enum ConsumerPriority: Sendable, Hashable {
    /// Like the server's threads: for consumers whose lag users feel at once (notifications).
    case normal
    /// Only the time the requests leave (Linux `SCHED_IDLE`): for consumers that may fall
    /// behind under load (the search index). So that a load leaving no idle time cannot hold
    /// it back without end, the runner lifts it to `normal` while the oldest entry it has not
    /// applied is more than the runner's `catchUpLag` old (1 s), and lowers it again once it
    /// is back within a quarter of that. Elsewhere than Linux: `normal`.
    case background
}

/// A thread of its own for one feed consumer's work, as a `TaskExecutor`.
///
/// A consumer's batch is synchronous SQLite work (an index transaction, ledger rows) lasting
/// up to a batch window's worth of commits. On Swift's global executor — the server's two
/// event loop threads, which also run every request — each batch held one of them for its
/// whole length. On a thread of its own the kernel shares the cores instead, and a
/// ``ConsumerPriority/background`` thread runs only when a core would otherwise idle.
///
/// ```swift
/// let thread = try await ConsumerThread.start(priority: .background)
/// try await withTaskExecutorPreference(thread) { try await work() }   // runs on that thread
/// try await thread.stop()
/// ```
final class ConsumerThread: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup
    private let loop: any EventLoop

    private init(group: MultiThreadedEventLoopGroup) {
        self.group = group
        loop = group.next()
    }

    static func start(priority: ConsumerPriority) async throws -> ConsumerThread {
        let thread = ConsumerThread(group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
        if priority == .background { try await thread.loop.submit { Self.adopt(.background) }.get() }
        return thread
    }

    /// Sets the scheduling of the calling thread: call it on the consumer's own thread (code
    /// under `withTaskExecutorPreference(thread)` runs there). Best effort: refused, the
    /// thread keeps what it had.
    static func adopt(_ priority: ConsumerPriority) {
        #if os(Linux)
        // Linux schedules each thread on its own; pid 0 is the calling thread.
        var parameters = sched_param()
        parameters.sched_priority = 0
        _ = sched_setscheduler(0, priority == .background ? idlePolicy : normalPolicy, &parameters)
        #endif
    }

    /// `SCHED_IDLE` and `SCHED_OTHER` (linux/sched.h); Glibc's module exports neither.
    private static let idlePolicy: Int32 = 5
    private static let normalPolicy: Int32 = 0

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func stop() async throws {
        try await group.shutdownGracefully()
    }
}
