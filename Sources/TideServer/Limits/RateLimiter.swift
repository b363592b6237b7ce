import Synchronization

/// Token buckets per key (a client address, a user, an API key) for one `RateLimit`.
///
/// A request takes one token; an empty bucket answers how long until the next token, which
/// becomes `Retry-After`. Memory stays bounded: full buckets carry no information and are
/// dropped when the table grows past `maxKeys`.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let limit: RateLimit
    private let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    init(limit: RateLimit, maxKeys: Int = 100_000) {
        self.limit = limit
        self.maxKeys = maxKeys
    }

    /// Takes a token for `key`: nil when the request may go ahead, else how long to wait.
    func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Duration? {
        let capacity = Double(limit.requests)
        let perSecond = capacity / limit.seconds
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = max(0, Self.seconds(now - bucket.updated))
            bucket.tokens = min(capacity, bucket.tokens + elapsed * perSecond)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[key] = bucket
                if buckets.count > maxKeys { Self.dropFull(&buckets, now: now, capacity: capacity, perSecond: perSecond) }
                return nil
            }
            buckets[key] = bucket
            return .seconds((1 - bucket.tokens) / perSecond)
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static func dropFull(_ buckets: inout [String: Bucket], now: ContinuousClock.Instant, capacity: Double, perSecond: Double) {
        buckets = buckets.filter { $0.value.tokens + seconds(now - $0.value.updated) * perSecond < capacity }
    }
}
