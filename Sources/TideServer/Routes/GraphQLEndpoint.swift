import HTTPTypes
import NIOCore
import TideGraphQL
import TideModel

/// `POST /graphql` and `GET /graphql` per the GraphQL-over-HTTP specification.
///
/// Media types: a client that accepts `application/graphql-response+json` gets it, with 400
/// for request errors (parse, validation, variables); everyone else gets `application/json`
/// and 200 for any well-formed request, as the spec's legacy rules say.
///
/// Each request is authenticated and rate limited (per user, API key or, for anonymous callers,
/// client address) before its body is parsed, so a refused request costs no parsing.
///
/// Served by ``HTTPExchangeHandler`` on the connection's event loop, not through the router:
/// a query is answered there without a task (the engine reads the store synchronously); only
/// mutations and the schema's first introspection continue in a task.
struct GraphQLEndpoint: DirectEndpoint {
    let engine: GraphQLEngine
    let metrics: ServerMetrics
    let authenticate: Authenticate
    let limiter: RateLimiter?
    let trustProxy: Bool

    func respond(to request: HTTPRequest, body: ByteBuffer, peerAddress: String) -> EndpointReply {
        let start = ContinuousClock.now
        let modern = Self.acceptsGraphQLResponse(request.headerFields)
        let allowsMutations: Bool
        switch request.method {
        case .post: allowsMutations = true
        case .get: allowsMutations = false
        default:
            return .now(
                ProblemResponse.reply(
                    .methodNotAllowed, detail: "Use POST (or GET for queries).", headers: [.allow: "GET, POST"]))
        }
        let principal: Principal
        switch admit(request, peerAddress: peerAddress, modern: modern) {
        case .success(let admitted): principal = admitted
        case .failure(let refusal): return .now(refusal.reply)
        }
        let graphQLRequest: GraphQLRequest
        switch allowsMutations ? postRequest(request, body: body) : getRequest(request) {
        case .success(let decoded): graphQLRequest = decoded
        case .failure(let problem):
            switch problem {
            case .unsupportedMediaType:
                return .now(
                    ProblemResponse.reply(
                        .unsupportedMediaType, detail: "Send the request as application/json.", headers: [.accept: "application/json"]))
            case .malformed(let error):
                return .now(malformed(error, modern: modern))
            }
        }
        let context = ExecutionContext(principal: principal, allowsMutations: allowsMutations)
        switch engine.start(graphQLRequest, context: context) {
        case .finished(let response):
            return .now(reply(response, modern: modern, start: start))
        case .pending(let pending):
            return .later { [self] in reply(await pending.run(), modern: modern, start: start) }
        }
    }

    private enum BodyProblem: Error {
        case unsupportedMediaType
        case malformed(GraphQLRequest.DecodingError)
    }

    private func postRequest(_ request: HTTPRequest, body: ByteBuffer) -> Result<GraphQLRequest, BodyProblem> {
        let contentType = request.headerFields[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else { return .failure(.unsupportedMediaType) }
        do {
            return .success(try GraphQLRequest(jsonBody: body.readableBytesView))
        } catch {
            return .failure(.malformed(error))
        }
    }

    private func getRequest(_ request: HTTPRequest) -> Result<GraphQLRequest, BodyProblem> {
        var parameters: [String: JSONValue] = [:]
        let target = request.path ?? ""
        if let question = target.firstIndex(of: "?") {
            for (name, value) in FormURLEncoding.decode(target[target.index(after: question)...]) {
                parameters[name] = .string(value)
            }
        }
        if case .string(let variablesText)? = parameters["variables"] {
            guard let variables = try? JSONParser.parse(variablesText) else {
                return .failure(.malformed(.malformedJSON("variables is not valid JSON")))
            }
            parameters["variables"] = variables
        }
        do {
            return .success(try GraphQLRequest(parameters: parameters))
        } catch {
            return .failure(.malformed(error))
        }
    }

    /// A response that ends the request before any GraphQL work.
    private struct Refusal: Error {
        var reply: HTTPReply
    }

    /// Authenticates the caller and takes a rate-limit token.
    private func admit(_ request: HTTPRequest, peerAddress: String, modern: Bool) -> Result<Principal, Refusal> {
        let principal: Principal
        do {
            principal = try authenticate(try RequestCredentials(request.headerFields)).principal
        } catch {
            metrics.recordRequest(operation: "invalid", outcome: "unauthenticated", duration: .zero)
            return .failure(
                Refusal(
                    reply: errorReply(
                        .unauthorized, message: error.message, code: .unauthenticated, modern: modern,
                        headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])))
        }
        if let limiter {
            let key: String
            switch principal {
            case .anonymous:
                key = "ip:" + ClientAddress.resolve(
                    peerAddress: peerAddress, forwardedFor: request.headerFields[values: .xForwardedFor], trustProxy: trustProxy)
            default: key = principal.actor
            }
            if let wait = limiter.acquire(key) {
                metrics.recordRateLimited(route: "graphql")
                return .failure(
                    Refusal(
                        reply: errorReply(
                            .tooManyRequests, message: "Rate limit exceeded; retry later.", code: .rateLimited,
                            modern: modern, headers: [.retryAfter: RateLimitMiddleware.retryAfter(wait)])))
            }
        }
        return .success(principal)
    }

    private func reply(_ response: GraphQLResponse, modern: Bool, start: ContinuousClock.Instant) -> HTTPReply {
        let status: HTTPResponse.Status
        let outcome: String
        var headers: HTTPFields = [.contentType: Self.contentType(modern: modern)]
        switch response.outcome {
        case .executed(let hadErrors):
            status = .ok
            outcome = hadErrors ? "error" : "ok"
        case .requestError:
            status = modern ? .badRequest : .ok
            outcome = "rejected"
        case .mutationNotAllowed:
            status = .methodNotAllowed
            outcome = "rejected"
            headers[.allow] = "POST"
        }
        metrics.recordRequest(operation: response.operationLabel, outcome: outcome, duration: ContinuousClock.now - start)
        return HTTPReply(status: status, headers: headers, body: response.body)
    }

    /// A body that is not a GraphQL-over-HTTP request at all: 400 in both media types.
    private func malformed(_ error: GraphQLRequest.DecodingError, modern: Bool) -> HTTPReply {
        let message: String
        switch error {
        case .malformedJSON(let reason): message = "The request body is not valid JSON: \(reason)"
        case .invalidShape(let reason): message = "Invalid GraphQL request: \(reason)"
        }
        metrics.recordRequest(operation: "invalid", outcome: "rejected", duration: .zero)
        return errorReply(.badRequest, message: message, code: .badRequest, modern: modern)
    }

    /// A GraphQL error response without `data`, in the media type the client accepts.
    private func errorReply(
        _ status: HTTPResponse.Status, message: String, code: ErrorCode, modern: Bool, headers extra: HTTPFields = [:]
    ) -> HTTPReply {
        var headers: HTTPFields = [.contentType: Self.contentType(modern: modern)]
        headers.append(contentsOf: extra)
        return HTTPReply(status: status, headers: headers, body: ErrorJSON.body(message: message, code: code))
    }

    private static func contentType(modern: Bool) -> String {
        modern ? "application/graphql-response+json; charset=utf-8" : "application/json; charset=utf-8"
    }

    static func acceptsGraphQLResponse(_ headers: HTTPFields) -> Bool {
        headers[values: .accept].contains { $0.lowercased().contains("application/graphql-response+json") }
    }
}
