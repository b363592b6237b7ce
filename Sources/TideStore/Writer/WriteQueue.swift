import Dispatch
import Synchronization

/// A write waiting for the writer thread.
struct WriteJob: Sendable {
    /// Runs on the writer thread inside the batch transaction, within its own savepoint.
    /// Returns the completion to call once the batch has ended: with nil after COMMIT
    /// succeeded, with the error when the batch failed.
    let run: @Sendable (WriteSession) throws(StoreError) -> @Sendable (StoreError?) -> Void
    /// Reports that the job itself failed (its savepoint was rolled back); called after the
    /// batch has ended, so nothing is reported before the state it saw is settled.
    let fail: @Sendable (StoreError) -> Void
}

/// The queue between write calls and the writer thread.
///
/// Callers append jobs; the writer takes everything pending (up to the batch size) at once —
/// that is the group commit: writes that arrive while a transaction is being committed form
/// the next batch. The writer sleeps on a semaphore when the queue is empty.
final class WriteQueue: Sendable {
    private struct State {
        var pending: [WriteJob] = []
        var writerSleeping = false
        var closing = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Adds a job; false when the queue is closed.
    func enqueue(_ job: WriteJob) -> Bool {
        let (accepted, wake) = state.withLock { state -> (Bool, Bool) in
            guard !state.closing else { return (false, false) }
            state.pending.append(job)
            guard state.writerSleeping else { return (true, false) }
            state.writerSleeping = false
            return (true, true)
        }
        if wake { wakeUp.signal() }
        return accepted
    }

    /// Blocks until jobs are pending and takes up to `maxCount` of them; nil once the queue is
    /// closed and drained.
    func nextBatch(maxCount: Int) -> [WriteJob]? {
        while true {
            let batch = state.withLock { state -> [WriteJob]?? in
                if !state.pending.isEmpty {
                    if state.pending.count <= maxCount {
                        defer { state.pending = [] }
                        return .some(state.pending)
                    }
                    let batch = Array(state.pending.prefix(maxCount))
                    state.pending.removeFirst(maxCount)
                    return .some(batch)
                }
                if state.closing { return .some(nil) }
                state.writerSleeping = true
                return .none
            }
            switch batch {
            case .some(let jobs): return jobs
            case .none: wakeUp.wait()
            }
        }
    }

    /// Refuses new jobs; the writer drains what is queued, then stops.
    func close() {
        let wake = state.withLock { state -> Bool in
            state.closing = true
            defer { state.writerSleeping = false }
            return state.writerSleeping
        }
        if wake { wakeUp.signal() }
    }
}
