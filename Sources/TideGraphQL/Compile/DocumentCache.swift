import Synchronization

/// A bounded least-recently-used map from document text to its compilation result, so a
/// repeated document costs neither parsing nor validation.
final class DocumentCache<Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
    }

    private let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func value(for key: String) -> Value? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.tick &+= 1
            entry.lastUsed = state.tick
            state.entries[key] = entry
            return entry.value
        }
    }

    func insert(_ value: Value, for key: String) {
        state.withLock { state in
            state.tick &+= 1
            if state.entries[key] == nil, state.entries.count >= capacity,
                let oldest = state.entries.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key
            {
                // A linear scan, but only on a miss, which already paid for parse + validation.
                state.entries.removeValue(forKey: oldest)
            }
            state.entries[key] = Entry(value: value, lastUsed: state.tick)
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
