import Synchronization

/// A signal one task waits for, with a timeout: "something changed, look again". Signals sent
/// while nobody waits are remembered (once), so none is lost between two waits.
final class Wakeup: Sendable {
    private struct State {
        var signaled = false
        var waiter: CheckedContinuation<Bool, Never>?
        var generation = 0
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.signaled = true
            return nil
        }
        waiter?.resume(returning: true)
    }

    /// Waits for a signal (true) or until `timeout` passes (false); one waiter at a time.
    func wait(timeout: Duration?) async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let generation: Int? = state.withLock { state in
                    if state.signaled || Task.isCancelled {
                        state.signaled = false
                        return nil
                    }
                    state.generation += 1
                    state.waiter = continuation
                    return state.generation
                }
                guard let generation else { return continuation.resume(returning: true) }
                if let timeout {
                    Task {
                        try? await Task.sleep(for: timeout)
                        let expired = self.state.withLock { state -> CheckedContinuation<Bool, Never>? in
                            guard state.generation == generation, let waiter = state.waiter else { return nil }
                            state.waiter = nil
                            return waiter
                        }
                        expired?.resume(returning: false)
                    }
                }
            }
        } onCancel: {
            signal()
        }
    }
}
