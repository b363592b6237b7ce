import Foundation
import Synchronization
import TideSQLite

/// The `_lastChangedAt` clock, shared by the writer (which stamps writes) and readers (which
/// take delta-sync cut-offs).
///
/// Stamps never go backwards, also across restarts (the clock starts at the newest stored
/// stamp). A cut-off `C` taken with `claimCutoff()` guarantees that every write stamped `≤ C` is
/// committed, and that no write committed later is stamped `≤ C`: the cut-off stays below the
/// stamps of the batch in flight, and later stamps are kept above every claimed cut-off. A
/// claim costs a later write at most one millisecond of lead; nothing ever waits.
final class StampClock: Sendable {
    private struct State {
        /// The last stamp handed out.
        var last: Int64
        /// The highest stamp of a committed write.
        var committed: Int64
        /// The lowest stamp of the batch being written, nil between batches.
        var inFlight: Int64?
        /// The highest cut-off a reader has taken.
        var claimed: Int64
    }

    private let state: Mutex<State>

    init(newestStoredStamp: Int64) {
        state = Mutex(State(last: newestStoredStamp, committed: newestStoredStamp, inFlight: nil, claimed: newestStoredStamp))
    }

    /// A stamp for a write of the current batch (writer thread).
    func stamp() -> Int64 {
        let now = StoredTime.milliseconds(Date())
        return state.withLock { state in
            state.last = max(state.last, now, state.claimed + 1)
            if state.inFlight == nil { state.inFlight = state.last }
            return state.last
        }
    }

    /// The batch committed: its stamps are visible to readers from now on.
    func batchCommitted() {
        state.withLock { state in
            if state.inFlight != nil { state.committed = state.last }
            state.inFlight = nil
        }
    }

    /// The batch rolled back: its stamps were never visible.
    func batchAbandoned() {
        state.withLock { $0.inFlight = nil }
    }

    /// A delta-sync cut-off (see the type's documentation).
    func claimCutoff() -> Int64 {
        state.withLock { state in
            let cutoff = state.inFlight.map { min(state.committed, $0 - 1) } ?? state.committed
            state.claimed = max(state.claimed, cutoff)
            return cutoff
        }
    }
}
