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
    public var limits = GraphQLLimits()
    public var tombstoneRetentionSeconds: Int64 = 30 * 86_400
    public var feedRetentionSeconds: Int64 = 86_400
    /// How often expired records are swept and retention is applied.
    public var maintenanceIntervalSeconds: Double = 30
    /// Access-token issuer and lifetimes, password hashing, key reloading.
    public var identity = IdentityConfiguration()

    public init() {}
}
