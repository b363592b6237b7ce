import NIOCore
import Synchronization

/// Runs `operation` and fails with a ``TestFailure`` naming `what` if it has not finished
/// within `timeout`; the operation is then cancelled and left behind.
///
/// Structured concurrency would wait for a cancelled child to end, so a client call that
/// never completes (a future nobody fulfils, a reply that never arrives) would hang the whole
/// test run. Here the caller resumes at the deadline whatever the operation does.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, _ what: String, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let pending = Mutex<CheckedContinuation<T, any Error>?>(continuation)
        let resume = { @Sendable (result: Result<T, any Error>) -> Bool in
            guard let continuation = pending.withLock({ $0.take() }) else { return false }
            continuation.resume(with: result)
            return true
        }
        let work = Mutex<Task<Void, Never>?>(nil)
        let timer = Task {
            try await Task.sleep(for: timeout)
            if resume(.failure(TestFailure("\(what) did not finish within \(timeout)"))) { work.withLock { $0?.cancel() } }
        }
        work.withLock {
            $0 = Task {
                let result: Result<T, any Error>
                do { result = .success(try await operation()) } catch { result = .failure(error) }
                if resume(result) { timer.cancel() }
            }
        }
    }
}

extension EventLoopFuture where Value: Sendable {
    /// The future's value, or a ``TestFailure`` once `timeout` has passed. A failure names
    /// `what` failed: NIO's own errors ("I/O on closed channel") do not say which call it was.
    public func get(within timeout: Duration, _ what: String) async throws -> Value {
        do {
            return try await withDeadline(timeout, what) { try await self.get() }
        } catch let failure as TestFailure {
            throw failure
        } catch {
            throw TestFailure("\(what) failed: \(error)")
        }
    }
}
