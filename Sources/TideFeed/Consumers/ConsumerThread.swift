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
    /// behind under load and catch up when it eases (the search index). Elsewhere: `normal`.
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
        guard priority == .background else { return thread }
        try await thread.loop.submit {
            #if os(Linux)
            // Linux schedules each thread on its own; pid 0 is the calling thread. Best
            // effort: refused, the thread stays at normal priority.
            var parameters = sched_param()
            parameters.sched_priority = 0
            _ = sched_setscheduler(0, Self.idlePolicy, &parameters)
            #endif
        }.get()
        return thread
    }

    /// `SCHED_IDLE` (linux/sched.h), which Glibc's module does not export.
    private static let idlePolicy: Int32 = 5

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func stop() async throws {
        try await group.shutdownGracefully()
    }
}
