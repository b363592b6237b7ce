import Synchronization

/// Open connections per caller (user, API key, or client address when anonymous), for
/// ``RealtimeConfiguration/maxConnectionsPerCaller``.
final class CallerConnections: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Takes a slot for `caller`; false when it already has `limit` connections.
    func acquire(_ caller: String) -> Bool {
        counts.withLock { counts in
            let current = counts[caller, default: 0]
            guard current < limit else { return false }
            counts[caller] = current + 1
            return true
        }
    }

    func release(_ caller: String) {
        counts.withLock { counts in
            let remaining = counts[caller, default: 1] - 1
            counts[caller] = remaining > 0 ? remaining : nil
        }
    }
}
