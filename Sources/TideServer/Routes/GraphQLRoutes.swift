import HTTPTypes
import Hummingbird
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
/// client address) before its body is read, so a refused request costs no parsing.
struct GraphQLRoutes {
    let engine: GraphQLEngine
    let metrics: ServerMetrics
    let maxBodyBytes: Int
    let authenticate: Authenticate
    let limiter: RateLimiter?
    let trustProxy: Bool

    func register(on router: Router<TidewaterRequestContext>) {
        router.post("/graphql") { request, context in try await post(request, context: context) }
        router.get("/graphql") { request, context in await get(request, context: context) }
        for method in [HTTPRequest.Method.put, .patch, .delete] {
            router.on("/graphql", method: method) { _, _ in
                ProblemResponse.make(.methodNotAllowed, detail: "Use POST (or GET for queries).", headers: [.allow: "GET, POST"])
            }
        }
    }

    private func post(_ request: Request, context: TidewaterRequestContext) async throws -> Response {
        let start = ContinuousClock.now
        let principal: Principal
        switch admit(request, context: context) {
        case .success(let admitted): principal = admitted
        case .failure(let refusal): return refusal.response
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/json") else {
            return ProblemResponse.make(
                .unsupportedMediaType, detail: "Send the request as application/json.", headers: [.accept: "application/json"])
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return ProblemResponse.make(.contentTooLarge, detail: "The request body exceeds \(maxBodyBytes) bytes.")
        }
        let graphQLRequest: GraphQLRequest
        do {
            graphQLRequest = try GraphQLRequest(jsonBody: body.readableBytesView)
        } catch {
            return malformed(error, request: request)
        }
        return await respond(graphQLRequest, request: request, principal: principal, allowsMutations: true, start: start)
    }

    private func get(_ request: Request, context: TidewaterRequestContext) async -> Response {
        let start = ContinuousClock.now
        let principal: Principal
        switch admit(request, context: context) {
        case .success(let admitted): principal = admitted
        case .failure(let refusal): return refusal.response
        }
        var parameters: [String: JSONValue] = [:]
        for (name, value) in request.uri.queryParameters {
            parameters[String(name)] = .string(String(value))
        }
        if case .string(let variablesText)? = parameters["variables"] {
            guard let variables = try? JSONParser.parse(variablesText) else {
                return malformed(.malformedJSON("variables is not valid JSON"), request: request)
            }
            parameters["variables"] = variables
        }
        let graphQLRequest: GraphQLRequest
        do {
            graphQLRequest = try GraphQLRequest(parameters: parameters)
        } catch {
            return malformed(error, request: request)
        }
        return await respond(graphQLRequest, request: request, principal: principal, allowsMutations: false, start: start)
    }

    /// A response that ends the request before any GraphQL work.
    private struct Refusal: Error {
        var response: Response
    }

    /// Authenticates the caller and takes a rate-limit token.
    private func admit(_ request: Request, context: TidewaterRequestContext) -> Result<Principal, Refusal> {
        let principal: Principal
        do {
            principal = try authenticate(try RequestCredentials(request.headers)).principal
        } catch {
            metrics.recordRequest(operation: "invalid", outcome: "unauthenticated", duration: .zero)
            return .failure(
                Refusal(
                    response: errorResponse(
                        .unauthorized, message: error.message, code: .unauthenticated, request: request,
                        headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""])))
        }
        if let limiter {
            let key: String
            switch principal {
            case .anonymous: key = "ip:" + context.clientAddress(request, trustProxy: trustProxy)
            default: key = principal.actor
            }
            if let wait = limiter.acquire(key) {
                metrics.recordRateLimited(route: "graphql")
                return .failure(
                    Refusal(
                        response: errorResponse(
                            .tooManyRequests, message: "Rate limit exceeded; retry later.", code: .rateLimited,
                            request: request, headers: [.retryAfter: RateLimitMiddleware.retryAfter(wait)])))
            }
        }
        return .success(principal)
    }

    private func respond(
        _ graphQLRequest: GraphQLRequest, request: Request, principal: Principal, allowsMutations: Bool,
        start: ContinuousClock.Instant
    ) async -> Response {
        let response = await engine.execute(
            graphQLRequest, context: ExecutionContext(principal: principal, allowsMutations: allowsMutations))
        let modern = Self.acceptsGraphQLResponse(request)
        let status: HTTPResponse.Status
        let outcome: String
        var headers: HTTPFields = [.contentType: modern ? "application/graphql-response+json; charset=utf-8" : "application/json; charset=utf-8"]
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
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    /// A body that is not a GraphQL-over-HTTP request at all: 400 in both media types.
    private func malformed(_ error: GraphQLRequest.DecodingError, request: Request) -> Response {
        let message: String
        switch error {
        case .malformedJSON(let reason): message = "The request body is not valid JSON: \(reason)"
        case .invalidShape(let reason): message = "Invalid GraphQL request: \(reason)"
        }
        metrics.recordRequest(operation: "invalid", outcome: "rejected", duration: .zero)
        return errorResponse(.badRequest, message: message, code: "BAD_REQUEST", request: request)
    }

    /// A GraphQL error response without `data`, in the media type the client accepts.
    private func errorResponse(
        _ status: HTTPResponse.Status, message: String, code: String, request: Request, headers extra: HTTPFields = [:]
    ) -> Response {
        let modern = Self.acceptsGraphQLResponse(request)
        var headers: HTTPFields = [
            .contentType: modern ? "application/graphql-response+json; charset=utf-8" : "application/json; charset=utf-8"
        ]
        headers.append(contentsOf: extra)
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: ErrorJSON.body(message: message, code: code))))
    }

    private func errorResponse(
        _ status: HTTPResponse.Status, message: String, code: ErrorCode, request: Request, headers: HTTPFields = [:]
    ) -> Response {
        errorResponse(status, message: message, code: code.rawValue, request: request, headers: headers)
    }

    static func acceptsGraphQLResponse(_ request: Request) -> Bool {
        request.headers[values: .accept].contains { $0.lowercased().contains("application/graphql-response+json") }
    }
}
