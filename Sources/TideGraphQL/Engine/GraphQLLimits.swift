/// Request-shape limits enforced before execution (ARCHITECTURE §7).
public struct GraphQLLimits: Sendable, Hashable {
    /// Deepest field nesting allowed; the standard introspection query must pass.
    public var maxDepth: Int = 15
    /// Deepest nesting of lists and input objects in one argument, variable or default value:
    /// `filter: {and: [{not: {title: {eq: "a"}}}]}` nests 5 levels.
    ///
    /// An Amplify filter nests about two levels per `and`/`or` group (the object and its list),
    /// one per `not`, and two or three for the comparison at the bottom, so 32 leaves room for
    /// fourteen levels of groups; DataStore's predicate groups and hand-written filters use a
    /// handful.
    public var maxInputDepth: Int = 32
    /// Tokens in a document (names, numbers, strings, punctuation). GraphQLSwift validates at
    /// tens of microseconds per token (a 5,000-token document of wrong literals or unknown
    /// names took 0.1–0.7 s on a loaded 2-core machine), so this bounds what one request can
    /// cost; the standard introspection query has 164 tokens and Amplify's generated
    /// operations under 100. (graphql-java and Apollo's router allow 15,000 by default, with
    /// validators an order of magnitude faster.)
    public var maxTokens: Int = 5000
    /// Aliased fields per operation.
    public var maxAliases: Int = 100
    /// Field selections of one operation once its fragments are expanded: a fragment spread
    /// twice in a fragment spread twice … doubles at each step.
    public var maxSelections: Int = 5000
    /// Largest `limit` argument accepted.
    public var maxPageSize: Int = 1000
    /// `limit` when a list query gives none (AppSync's default).
    public var defaultPageSize: Int = 100
    /// Distinct documents kept compiled.
    public var documentCacheSize: Int = 1000
    /// How long `searchXs(minSeq:)` waits for the search index to reach the position.
    public var searchWaitTimeout: Duration = .seconds(5)

    public init() {}

    /// Brackets (`{`, `[`, `(`) a document may nest, checked on its text before it is parsed,
    /// and selection sets (fields, inline fragments, fragment spreads) a path through the
    /// document may nest: every document within ``maxDepth`` and ``maxInputDepth`` fits, with
    /// room for inline fragments. The parser and the validation rules recurse per level, so
    /// a document nested thousands deep would exhaust the thread's stack.
    public var maxNesting: Int { maxDepth + maxInputDepth + 17 }
}
