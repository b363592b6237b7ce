import OrderedCollections
import Synchronization
import TideModel

/// Verified access tokens → their user, until the token expires.
///
/// Clients send the same token with every request for its whole lifetime, so after the first
/// request a token costs a dictionary lookup under a short lock instead of an Ed25519 verification
/// (about 75 µs). Bounded: when full, expired entries go first, then the oldest tenth.
/// Key rotation does not touch it: a cached token stays valid until its `exp`, as it would verify.
final class TokenCache: Sendable {
    private struct Entry: Sendable {
        let user: UserIdentity
        /// Epoch seconds from which the token is expired (its `exp` plus the leeway).
        let expiresAt: Int64
    }

    private let entries = Mutex(OrderedDictionary<String, Entry>())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The user of a cached, unexpired token, and when it expires (its `exp` plus the leeway).
    func user(for token: String, nowSeconds: Int64) -> (user: UserIdentity, expiresAt: Int64)? {
        entries.withLock { entries in
            guard let entry = entries[token] else { return nil }
            guard nowSeconds < entry.expiresAt else {
                entries.removeValue(forKey: token)
                return nil
            }
            return (entry.user, entry.expiresAt)
        }
    }

    /// Remembers a verified token until `expiresAt` (epoch seconds).
    func insert(_ user: UserIdentity, for token: String, expiresAt: Int64, nowSeconds: Int64) {
        entries.withLock { entries in
            if entries.count >= capacity {
                entries.removeAll { $0.value.expiresAt <= nowSeconds }
                if entries.count >= capacity { entries.removeFirst(max(1, capacity / 10)) }
            }
            entries[token] = Entry(user: user, expiresAt: expiresAt)
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
