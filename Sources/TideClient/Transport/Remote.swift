import TideModel

/// The server as the outbox and the sync engine talk to it: GraphQL over HTTP with a token that
/// is refreshed before it expires, and once more when the server refuses it.
struct Remote: Sendable {
    let graphql: GraphQLHTTP
    let tokens: TokenProvider

    /// Sends `document`; `deferring` as in ``GraphQLHTTP/execute(_:variables:token:deferring:)``.
    func execute(
        _ document: String, _ variables: [String: JSONValue], deferring key: String? = nil
    ) async throws(TransportError) -> GraphQLResponse {
        let token = try await Self.transport { () throws(TideClientError) in try await tokens.accessToken() }
        do {
            return try await graphql.execute(document, variables: variables, token: token, deferring: key)
        } catch .unauthenticated {
            let fresh = try await Self.transport { () throws(TideClientError) in try await tokens.tokenAfterRejection(of: token) }
            return try await graphql.execute(document, variables: variables, token: fresh, deferring: key)
        }
    }

    /// A token refresh's failure as a transport failure.
    private static func transport<T>(_ body: () async throws(TideClientError) -> T) async throws(TransportError) -> T {
        do {
            return try await body()
        } catch {
            switch error {
            case .serverUnreachable(let why): throw .unreachable(why)
            case .authenticationFailed(let why): throw .unauthenticated(why)
            case .notSignedIn: throw .unauthenticated("signed out")
            default: throw .rejected(status: 0, body: error.description)
            }
        }
    }
}
