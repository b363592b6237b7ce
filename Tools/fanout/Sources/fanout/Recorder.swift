import NIOCore
import Synchronization

/// The creates of one run and what every subscriber received of them.
///
/// The creator picks every record's id: `prefix` (7 characters, unique to the run) followed by
/// the create's index in 8 digits, 15 characters in all (PocketBase's default id format). A
/// subscriber finds the id in an event by searching for the prefix, so it needs no JSON parser,
/// and the index leads straight to the send time.
final class Recorder: Sendable {
    let prefix: [UInt8]
    let planned: Int
    private let sendTimes: Mutex<[ContinuousClock.Instant?]>
    /// Events received for the first time, over all subscribers: the drain waits for it.
    let uniqueReceipts = Atomic<Int>(0)

    init(prefix: String, planned: Int) {
        precondition(prefix.utf8.count == 7)
        self.prefix = Array(prefix.utf8)
        self.planned = planned
        self.sendTimes = Mutex(Array(repeating: nil, count: planned))
    }

    func id(_ index: Int) -> String {
        let digits = String(index)
        return String(decoding: prefix, as: UTF8.self) + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Called just before the create request for `index` is written.
    func markSent(_ index: Int) {
        let now = ContinuousClock.now
        sendTimes.withLock { $0[index] = now }
    }

    func sentAt(_ index: Int) -> ContinuousClock.Instant? {
        sendTimes.withLock { $0[index] }
    }

    /// Every create index named in `bytes` (an SSE event or a WebSocket message holds one).
    func indexes(in bytes: UnsafeRawBufferPointer) -> [Int] {
        var found: [Int] = []
        let n = bytes.count, p = prefix.count
        var i = 0
        outer: while i + p + 8 <= n {
            for j in 0..<p where bytes[i + j] != prefix[j] {
                i += 1
                continue outer
            }
            var index = 0
            for k in 0..<8 {
                let digit = Int(bytes[i + p + k]) - 48
                guard (0...9).contains(digit) else { i += 1; continue outer }
                index = index * 10 + digit
            }
            found.append(index)
            i += p + 8
        }
        return found
    }
}

/// What one subscriber received. Written by its socket's event loop, read after the run.
final class SubscriberLog: Sendable {
    struct State {
        var received: [Bool]
        var latenciesNanos: [Int64] = []
        var duplicates = 0
        /// Events naming an index we never sent (would mean a bug in the client).
        var unknown = 0
        var failure: String?
    }

    let state: Mutex<State>

    init(planned: Int) {
        state = Mutex(State(received: Array(repeating: false, count: planned)))
    }

    /// One event (or message) that arrived at `time`.
    func record(_ bytes: UnsafeRawBufferPointer, at time: ContinuousClock.Instant, recorder: Recorder) {
        for index in recorder.indexes(in: bytes) {
            guard index < recorder.planned, let sent = recorder.sentAt(index) else {
                state.withLock { $0.unknown += 1 }
                continue
            }
            let (seconds, attos) = (time - sent).components
            let nanos = seconds * 1_000_000_000 + attos / 1_000_000_000
            let first = state.withLock { state -> Bool in
                if state.received[index] {
                    state.duplicates += 1
                    return false
                }
                state.received[index] = true
                state.latenciesNanos.append(nanos)
                return true
            }
            if first { recorder.uniqueReceipts.add(1, ordering: .relaxed) }
        }
    }

    func fail(_ message: String) {
        state.withLock { if $0.failure == nil { $0.failure = message } }
    }
}
