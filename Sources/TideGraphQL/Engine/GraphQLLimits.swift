/// Request-shape limits enforced before execution (ARCHITECTURE §7).
public struct GraphQLLimits: Sendable, Hashable {
    /// Deepest field nesting allowed; the standard introspection query must pass.
    public var maxDepth: Int = 15
    /// Aliased fields per operation.
    public var maxAliases: Int = 100
    /// Largest `limit` argument accepted.
    public var maxPageSize: Int = 1000
    /// `limit` when a list query gives none (AppSync's default).
    public var defaultPageSize: Int = 100
    /// Distinct documents kept compiled.
    public var documentCacheSize: Int = 1000
    /// How long `searchXs(minSeq:)` waits for the search index to reach the position.
    public var searchWaitTimeout: Duration = .seconds(5)

    public init() {}
}
