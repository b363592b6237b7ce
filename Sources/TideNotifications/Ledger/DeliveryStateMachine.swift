/// The ledger's rules, as pure transitions on ``DeliveryProgress`` (no clock, no I/O: the
/// caller passes the time and a random number for the jitter), so that each is unit-tested
/// apart from sockets and threads.
///
/// ```
/// pending ─attempt→ (in flight) ─sent→ sent
///                               ─transient→ retrying (backoff) … 8th → dead
///                               ─permanent→ dead (maybe disabling the endpoint)
///                               ─no answer→ unknown, or retrying with the same id (webhooks)
/// pending/retrying ─quiet hours, rate cap→ deferred ─its time→ (attempt)
/// crash while in flight → unknown, or retrying (webhooks)
/// dead/unknown ─operator retry→ pending
/// ```
public struct DeliveryStateMachine: Sendable {
    /// Tries before a delivery is dead.
    public static let maxAttempts = 8
    /// The first retry waits about this long (ms); each next one twice as long, at most `maxBackoff`.
    public var baseBackoff: Int64 = 2_000
    public var maxBackoff: Int64 = 3_600_000

    public init(baseBackoff: Int64 = 2_000, maxBackoff: Int64 = 3_600_000) {
        self.baseBackoff = baseBackoff
        self.maxBackoff = maxBackoff
    }

    /// What happens to a row: whether an attempt may start now, or when.
    public enum Decision: Sendable, Hashable {
        case attemptNow
        case wait(until: Int64)
        case nothing
    }

    /// Whether a row is due at `now` (epoch ms).
    public func decide(_ row: DeliveryProgress, now: Int64) -> Decision {
        guard row.state.isOpen, !row.inFlight else { return .nothing }
        if let next = row.nextAttemptAt, next > now { return .wait(until: next) }
        return .attemptNow
    }

    /// Quiet hours or a rate cap hold the row until `until`.
    public func hold(_ row: DeliveryProgress, until: Int64) -> DeliveryProgress {
        var row = row
        guard row.state.isOpen else { return row }
        row.state = .deferred
        row.nextAttemptAt = until
        return row
    }

    /// An attempt starts: recorded (durably, by the caller) before the request goes out.
    public func begin(_ row: DeliveryProgress) -> DeliveryProgress {
        precondition(row.state.isOpen && !row.inFlight, "only an open row that is not in flight can start an attempt")
        var row = row
        row.attempts += 1
        row.inFlight = true
        return row
    }

    /// What the attempt came to. `jitter` in 0..<1 spreads retries; `redeliverable` is true for
    /// channels whose receivers dedupe (webhooks: same `X-Tidewater-Delivery`).
    public func finish(
        _ row: DeliveryProgress, with outcome: DeliveryOutcome, redeliverable: Bool, now: Int64, jitter: Double
    ) -> (row: DeliveryProgress, disableEndpoint: Bool) {
        var row = row
        row.inFlight = false
        switch outcome {
        case .sent(let id):
            row.state = .sent
            row.providerMessageId = id
            row.nextAttemptAt = nil
            row.lastError = nil
            return (row, false)
        case .permanent(let reason, let disable):
            row.state = .dead
            row.lastError = reason
            row.nextAttemptAt = nil
            return (row, disable)
        case .transient(let reason, let retryAfter):
            return (retry(row, reason: reason, retryAfter: retryAfter, now: now, jitter: jitter), false)
        case .unknown(let reason):
            guard redeliverable else {
                row.state = .unknown
                row.lastError = reason
                row.nextAttemptAt = nil
                return (row, false)
            }
            return (retry(row, reason: reason, retryAfter: nil, now: now, jitter: jitter), false)
        }
    }

    /// A row found in flight after a restart: the attempt may or may not have reached the provider.
    public func recover(_ row: DeliveryProgress, redeliverable: Bool, now: Int64) -> DeliveryProgress {
        guard row.inFlight else { return row }
        return finish(
            row, with: .unknown(reason: "the server stopped during this attempt"), redeliverable: redeliverable, now: now,
            jitter: 0
        ).row
    }

    /// `tidewater deliveries retry`: a dead or unknown row gets a fresh set of tries.
    public func operatorRetry(_ row: DeliveryProgress) -> DeliveryProgress? {
        guard row.state == .dead || row.state == .unknown else { return nil }
        var row = row
        row.state = .pending
        row.attempts = 0
        row.nextAttemptAt = nil
        row.inFlight = false
        return row
    }

    /// Backoff before attempt `n + 1` after `n` attempts: base·2ⁿ⁻¹ capped, with jitter in its
    /// upper half ("equal jitter"), and never sooner than the provider's Retry-After.
    public func backoff(afterAttempts attempts: Int, retryAfterSeconds: Int?, jitter: Double) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 30)
        let full = min(maxBackoff, baseBackoff << exponent)
        let delay = full / 2 + Int64(Double(full / 2) * min(max(jitter, 0), 1))
        return max(delay, Int64(retryAfterSeconds ?? 0) * 1000)
    }

    private func retry(_ row: DeliveryProgress, reason: String, retryAfter: Int?, now: Int64, jitter: Double) -> DeliveryProgress {
        var row = row
        row.lastError = reason
        guard row.attempts < Self.maxAttempts else {
            row.state = .dead
            row.lastError = "gave up after \(row.attempts) tries: \(reason)"
            row.nextAttemptAt = nil
            return row
        }
        row.state = .retrying
        row.nextAttemptAt = now + backoff(afterAttempts: row.attempts, retryAfterSeconds: retryAfter, jitter: jitter)
        return row
    }
}
