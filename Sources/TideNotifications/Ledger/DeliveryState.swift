/// Where a delivery stands in the ledger.
public enum DeliveryState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Written before the first attempt; waiting for it.
    case pending
    /// Accepted by the provider. Never sent again.
    case sent
    /// An attempt failed transiently; the next one is scheduled.
    case retrying
    /// Held back by quiet hours or a rate cap until its time.
    case deferred
    /// Given up: a permanent error, or 8 failed tries. `lastError` says why.
    case dead
    /// An attempt may have reached the provider and got no answer, and the channel cannot
    /// dedupe: never re-sent automatically (`tidewater deliveries retry` can).
    case unknown

    /// Whether the sender still has work to do on a row in this state.
    public var isOpen: Bool { self == .pending || self == .retrying || self == .deferred }
}

/// The state of one ledger row as the state machine sees it.
public struct DeliveryProgress: Sendable, Hashable {
    public var state: DeliveryState
    /// Attempts started so far.
    public var attempts: Int
    /// When the next attempt may start (epoch milliseconds); nil: now.
    public var nextAttemptAt: Int64?
    /// Set while an attempt is under way: after a crash, such a row may have been delivered.
    public var inFlight: Bool
    public var lastError: String?
    public var providerMessageId: String?

    public init(
        state: DeliveryState = .pending, attempts: Int = 0, nextAttemptAt: Int64? = nil, inFlight: Bool = false,
        lastError: String? = nil, providerMessageId: String? = nil
    ) {
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.inFlight = inFlight
        self.lastError = lastError
        self.providerMessageId = providerMessageId
    }
}
