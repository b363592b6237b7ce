import Foundation
import Synchronization

/// Frozen relevance orders: the point in time behind a ranked search's `nextToken`.
///
/// BM25 scores depend on the whole corpus, so they move as records are written; ranking each
/// page afresh could skip or repeat records. As OpenSearch's point-in-time search does, the
/// first page of a ranked search keeps the order of its hits (ids only, up to the store's rank
/// window) and the following pages walk that list, re-reading each record live (so deleted
/// or no-longer-readable records drop out, and none appears twice). Entries expire after
/// `lifetime`; the oldest go first past `capacity`.
final class RankedResults: Sendable {
    private struct Entry {
        var ids: [String]
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    let lifetime: Duration
    let capacity: Int

    init(lifetime: Duration = .seconds(300), capacity: Int = 1024) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Keeps `ids` and returns the handle of the frozen order.
    func keep(_ ids: [String]) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        arc4random_buf(&bytes, bytes.count)
        let handle = bytes.map { String(format: "%02x", $0) }.joined()
        let now = ContinuousClock.now
        entries.withLock { entries in
            entries = entries.filter { $0.value.expires > now }
            if entries.count >= capacity, let oldest = entries.min(by: { $0.value.expires < $1.value.expires })?.key {
                entries.removeValue(forKey: oldest)
            }
            entries[handle] = Entry(ids: ids, expires: now + lifetime)
        }
        return handle
    }

    /// The ids of a frozen order from `offset` on (at most `count`); nil when it expired.
    func ids(_ handle: String, from offset: Int, count: Int) -> (ids: [String], remaining: Int)? {
        entries.withLock { entries in
            guard let entry = entries[handle], entry.expires > .now else {
                entries.removeValue(forKey: handle)
                return nil
            }
            let start = min(max(0, offset), entry.ids.count)
            let end = min(entry.ids.count, start + count)
            return (Array(entry.ids[start..<end]), entry.ids.count - end)
        }
    }
}
