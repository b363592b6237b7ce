import TideGraphQL
import TideIdentity
import TideStore

/// Everything `tidewater serve` can be told, with the documented defaults (ARCHITECTURE §8).
public struct ServerConfiguration: Sendable {
    /// The annotated SDL file.
    public var schemaPath: String = "Schema/example.graphql"
    /// The data folder: database, keys.
    public var dataDirectory: String = "./tidewater-data"
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (the chosen one is printed).
    public var port: Int = 4000
    public var durability: Durability = .full
    /// Largest request body accepted on `/graphql`.
    public var maxBodyBytes: Int = 1 << 20
    /// An HTTP connection on which nothing arrives for this long is closed unless a request on it
    /// is being answered: idle keep-alive connections, and clients that stop half-way through a
    /// request (WebSocket connections keep themselves alive with pings instead).
    public var httpIdleTimeout: Duration = .seconds(60)
    /// After SIGTERM or SIGINT, how long requests in flight and WebSockets get to finish before
    /// the connections still open are closed; under the 30 s grace period that common
    /// orchestrators give before SIGKILL.
    public var shutdownTimeout: Duration = .seconds(25)
    public var limits = GraphQLLimits()
    /// Who may introspect the schema: callers with credentials by default, as on AppSync
    /// (docs/OPERATIONS.md says why).
    public var introspection: IntrospectionAccess = .authenticated
    public var tombstoneRetentionSeconds: Int64 = 30 * 86_400
    public var feedRetentionSeconds: Int64 = 86_400
    /// How often expired records are swept and retention is applied.
    public var maintenanceIntervalSeconds: Double = 30
    /// Take the client address from the last `X-Forwarded-For` entry (behind a reverse proxy);
    /// otherwise the header is ignored, so clients cannot pick their rate-limit key.
    public var trustProxy = false
    /// Per client address on `/auth/*` (login throttling); nil: unlimited.
    public var authRateLimit: RateLimit? = RateLimit(requests: 30, seconds: 60)
    /// Per user, API key or (anonymous) client address on `/graphql`; nil: unlimited.
    public var graphQLRateLimit: RateLimit? = RateLimit(requests: 100, seconds: 1)
    /// GraphQL over WebSocket: init timeout, pings, connection and subscription limits, queue size.
    public var realtime = RealtimeConfiguration()
    /// Access-token issuer and lifetimes, password hashing, key reloading.
    public var identity = IdentityConfiguration()

    public init() {}
}
