import HTTPTypes
import TideGraphQL
import TideModel

/// What is checked when a request's head has arrived, before its body is read or buffered: the
/// caller's credentials (`/graphql`) and the rate limits of `/auth/*` and `/graphql`. Also the
/// rate limit of queries and mutations sent over a WebSocket. The one place where a request is
/// let in or refused for who sent it, with ``CallerKey`` saying who that is.
///
/// A refusal is answered at once (the rest of the body is read and dropped, never kept), so a
/// throttled client sending a large body costs its headers and nothing more.
struct Admission: Sendable {
    enum Decision {
        /// Go on and read the body; `principal` is who a `/graphql` request acts for
        /// (anonymous on every other path).
        case admitted(principal: Principal)
        case refused(HTTPReply)
    }

    let authenticate: Authenticate
    /// Per client address on `/auth/*`; nil: unlimited.
    let authLimiter: RateLimiter?
    /// Per caller on `/graphql` and for WebSocket queries and mutations; nil: unlimited.
    let graphQLLimiter: RateLimiter?
    let trustProxy: Bool
    let metrics: ServerMetrics

    /// `path` is the request's path without its query string; `peerAddress` the connection's.
    func admit(_ head: HTTPRequest, path: Substring, peerAddress: String) -> Decision {
        let address = ClientAddress.resolve(
            peerAddress: peerAddress, forwardedFor: head.headerFields[values: .xForwardedFor], trustProxy: trustProxy)
        if path == "/graphql", head.method == .post || head.method == .get {
            return admitGraphQL(head, clientAddress: address)
        }
        if path.hasPrefix("/auth/"), let authLimiter,
            let wait = authLimiter.acquire(CallerKey.of(.anonymous, clientAddress: address))
        {
            metrics.recordRateLimited(route: "auth")
            return .refused(
                ProblemResponse.reply(
                    .tooManyRequests, detail: "Too many requests from this address; retry later.",
                    headers: [.retryAfter: Self.retryAfter(wait)]))
        }
        return .admitted(principal: .anonymous)
    }

    /// Authenticates the caller from the headers, then takes a rate-limit token.
    private func admitGraphQL(_ head: HTTPRequest, clientAddress: String) -> Decision {
        let modern = GraphQLEndpoint.acceptsGraphQLResponse(head.headerFields)
        let principal: Principal
        do {
            principal = try authenticate(try RequestCredentials(head.headerFields)).principal
        } catch {
            metrics.recordRequest(operation: "invalid", outcome: "unauthenticated", duration: .zero)
            return .refused(
                GraphQLEndpoint.errorReply(
                    .unauthorized, message: error.message, code: .unauthenticated, modern: modern,
                    headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""]))
        }
        if let wait = operation(by: CallerKey.of(principal, clientAddress: clientAddress)) {
            return .refused(
                GraphQLEndpoint.errorReply(
                    .tooManyRequests, message: "Rate limit exceeded; retry later.", code: .rateLimited, modern: modern,
                    headers: [.retryAfter: Self.retryAfter(wait)]))
        }
        return .admitted(principal: principal)
    }

    /// Takes a `/graphql` rate-limit token for `caller` (a ``CallerKey``): nil when the
    /// operation may run, else how long until the next token.
    func operation(by caller: String) -> Duration? {
        guard let graphQLLimiter, let wait = graphQLLimiter.acquire(caller) else { return nil }
        metrics.recordRateLimited(route: "graphql")
        return wait
    }

    /// Whole seconds, rounded up, at least 1 (RFC 9110 delay-seconds).
    static func retryAfter(_ wait: Duration) -> String {
        let (seconds, attoseconds) = wait.components
        return String(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }
}
