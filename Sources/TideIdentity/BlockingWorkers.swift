import Dispatch
import Synchronization

/// A fixed number of serial dispatch queues for blocking work: Argon2id hashing (about 100 ms and
/// 64 MiB each) and fsync'd SQLite commits.
///
/// Blocking the caller's thread is not an option: the server runs Swift concurrency on NIO's event
/// loops, and a 100 ms hash there stalls every connection on that loop. Jobs go round-robin to the
/// queues, so at most `count` run at once, which also bounds the memory hashing takes; the rest
/// wait in order.
final class BlockingWorkers: Sendable {
    private let queues: [DispatchQueue]
    private let next = Atomic<UInt>(0)

    init(label: String, count: Int) {
        queues = (0..<max(1, count)).map { DispatchQueue(label: "\(label).\($0)") }
    }

    /// Runs `work` on one of the queues and returns its result.
    func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let index = Int(next.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(queues.count))
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queues[index].async { continuation.resume(returning: Result { () throws(E) -> T in try work() }) }
        }
        return try result.get()
    }
}
