/// Timers and limits of GraphQL over WebSocket (ARCHITECTURE §7), with their defaults.
public struct RealtimeConfiguration: Sendable, Hashable {
    /// How long a new socket may wait before sending `connection_init`; then it is closed with 4408.
    public var initTimeout: Duration = .seconds(10)
    /// How often the server sends a protocol `ping` on an acknowledged connection; nil: never
    /// (WebSocket-level pings still detect dead peers).
    public var pingInterval: Duration? = .seconds(30)
    /// Acknowledged connections per user, per API key, or per client address for anonymous callers;
    /// one more is closed with 4430.
    public var maxConnectionsPerCaller: Int = 16
    /// Operations one connection may have running: subscriptions, and queries or mutations not yet
    /// answered. One more is answered with an `error` message (`LIMIT_EXCEEDED`).
    public var maxOperationsPerConnection: Int = 100
    /// Change-feed entries one connection may be handed while its socket takes no more data
    /// (NIO's write buffer above its high-water mark). Past that it is closed with 4413 (it can
    /// resume from its last `seq`), so it never holds up the others or grows without bound.
    public var queueCapacity: Int = 1024
    /// How often the identity database is checked for the admin commands' changes (a revoked API
    /// key, a removed user, changed groups), which then reach open connections.
    public var credentialCheckInterval: Duration = .milliseconds(250)
    /// Largest message a client may send.
    public var maxMessageBytes: Int = 1 << 20

    public init() {}
}
