/// Jittered exponential backoff ("equal jitter"): the n-th retry waits between half and all of
/// `min(cap, base · 2^(n-1))` seconds, so clients that failed together do not retry together,
/// and never less than a server's `Retry-After`.
///
/// ```swift
/// let wait = Backoff.standard.delay(attempt: 3, retryAfter: 2)   // 2 s or more
/// ```
public struct Backoff: Sendable, Hashable {
    /// The first retry's ceiling, in seconds.
    public var base: Double
    /// The longest wait, in seconds.
    public var cap: Double

    public init(base: Double, cap: Double) {
        self.base = base
        self.cap = cap
    }

    /// Outbox sends and reconnects: 0.5 s, 1 s, 2 s … up to 30 s.
    public static let standard = Backoff(base: 0.5, cap: 30)

    /// The wait before retry number `attempt` (1 for the first), `random` in `0..<1`.
    public func delay(attempt: Int, retryAfter: Double? = nil, random: Double = Double.random(in: 0..<1)) -> Double {
        let exponent = Double(min(max(attempt, 1) - 1, 30))
        let ceiling = min(cap, base * pow2(exponent))
        let jittered = ceiling / 2 + ceiling / 2 * random
        return max(retryAfter ?? 0, jittered)
    }

    private func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= 2 }
        return result
    }
}
