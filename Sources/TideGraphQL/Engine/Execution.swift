/// How far ``GraphQLEngine/start(_:context:)`` got without suspending.
public enum Execution: Sendable {
    case finished(GraphQLResponse)
    /// Needs to wait (for the writer's commit, or the first introspection of the schema).
    case pending(PendingExecution)
}

/// The rest of a request that must wait; run it once.
public struct PendingExecution: Sendable {
    let body: @Sendable () async -> GraphQLResponse

    init(_ body: @escaping @Sendable () async -> GraphQLResponse) {
        self.body = body
    }

    public func run() async -> GraphQLResponse {
        await body()
    }
}
