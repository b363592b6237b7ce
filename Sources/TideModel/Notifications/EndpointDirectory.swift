/// Where users' notification endpoints and opt-outs are kept, as the GraphQL engine sees them
/// (ARCHITECTURE §10.2: `registerEndpoint`, `removeEndpoint`, `myEndpoints`,
/// `setNotificationOptOut`). The seam between the engine and the notification store: the server's
/// composition root wires TideNotifications' implementation when it runs with `--notifications`,
/// so the engine never imports a feed consumer. Every call acts for one user and sees only that
/// user's endpoints.
///
/// Channels and platforms are the GraphQL enum values (`PUSH`, `EMAIL`, `SMS`, `WEBHOOK`;
/// `APNS`, `FCM`), already checked against the enum by the engine.
///
/// ```swift
/// let endpoint = try directory.register(
///     EndpointRegistration(channel: "EMAIL", address: "me@example.com", platform: nil, timeZone: "Europe/Berlin"),
///     userId: "u1")
/// ```
public protocol EndpointDirectory: Sendable {
    /// Registers an endpoint for the user (or returns the user's existing one for the same
    /// channel and address, enabled again); `.invalidInput` names the input field at fault and
    /// nothing is stored.
    func register(_ registration: EndpointRegistration, userId: String) throws(EndpointDirectoryError) -> RegisteredEndpoint
    /// Removes one of the user's endpoints; `.notFound` when the user has none with that id
    /// (another user's endpoint is not found either).
    func remove(id: String, userId: String) throws(EndpointDirectoryError) -> RegisteredEndpoint
    /// The user's endpoints, oldest first.
    func endpoints(userId: String) throws(EndpointDirectoryError) -> [RegisteredEndpoint]
    /// Opts the user out of (or back into) a channel, for one topic or (`topic` nil) all of them.
    func setOptOut(userId: String, channel: String, topic: String?, optedOut: Bool) throws(EndpointDirectoryError)
}

/// `RegisterEndpointInput`.
public struct EndpointRegistration: Sendable, Hashable {
    public var channel: String
    public var address: String
    public var platform: String?
    /// IANA time zone for quiet hours; nil: UTC.
    public var timeZone: String?

    public init(channel: String, address: String, platform: String?, timeZone: String?) {
        self.channel = channel
        self.address = address
        self.platform = platform
        self.timeZone = timeZone
    }
}

/// The GraphQL `Endpoint`.
public struct RegisteredEndpoint: Sendable, Hashable {
    public var id: String
    public var channel: String
    public var address: String
    public var platform: String?
    public var timeZone: String?
    public var enabled: Bool
    /// Why a provider's refusal disabled the endpoint.
    public var disabledReason: String?
    /// Epoch milliseconds.
    public var createdAt: Int64

    public init(
        id: String, channel: String, address: String, platform: String?, timeZone: String?, enabled: Bool,
        disabledReason: String?, createdAt: Int64
    ) {
        self.id = id
        self.channel = channel
        self.address = address
        self.platform = platform
        self.timeZone = timeZone
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.createdAt = createdAt
    }
}

/// Why an ``EndpointDirectory`` call was refused.
public enum EndpointDirectoryError: Error, Sendable, Equatable {
    /// A bad input value: `field` is its path in the operation's arguments (`input.address`, `topic`).
    case invalidInput(field: String, reason: String)
    /// The user has no endpoint with this id.
    case notFound(id: String)
    /// The user has as many endpoints as a user may have.
    case limitExceeded(String)
    /// The store failed; the reason is for the server's log, not for the caller.
    case storage(String)
}
