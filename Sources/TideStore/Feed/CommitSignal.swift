import Synchronization

/// Tells feed consumers that the feed head moved, without ever making the writer wait.
///
/// The writer thread calls ``signal(head:)`` after each COMMIT that appended feed entries; each
/// observer's stream keeps only the newest head (`bufferingNewest(1)`), so a consumer that is
/// busy misses nothing: it reads the feed up to the head it finds, whatever number of commits
/// that head stands for.
final class CommitSignal: Sendable {
    private let observers = Mutex<[Int: AsyncStream<Int64>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)

    /// A stream of feed heads, one element per commit (or fewer when the consumer lags).
    func observe() -> AsyncStream<Int64> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream.makeStream(of: Int64.self, bufferingPolicy: .bufferingNewest(1))
        continuation.onTermination = { [weak self] _ in
            _ = self?.observers.withLock { $0.removeValue(forKey: id) }
        }
        observers.withLock { $0[id] = continuation }
        return stream
    }

    /// Non-blocking: a yield into a one-slot buffer.
    func signal(head: Int64) {
        observers.withLock { observers in
            for continuation in observers.values { continuation.yield(head) }
        }
    }

    /// Ends every stream (the store is closing).
    func finish() {
        let all = observers.withLock { observers in
            defer { observers.removeAll() }
            return Array(observers.values)
        }
        for continuation in all { continuation.finish() }
    }
}
