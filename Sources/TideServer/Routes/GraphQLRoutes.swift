import Hummingbird
import NIOCore
import TideGraphQL
import TideModel

/// `POST /graphql` and `GET /graphql` per the GraphQL-over-HTTP specification.
///
/// Media types: a client that accepts `application/graphql-response+json` gets it, with 400
/// for request errors (parse, validation, variables); everyone else gets `application/json`
/// and 200 for any well-formed request, as the spec's legacy rules say.
struct GraphQLRoutes {
    let engine: GraphQLEngine
    let metrics: ServerMetrics
    let maxBodyBytes: Int

    func register(on router: Router<BasicRequestContext>) {
        router.post("/graphql") { request, context in try await post(request, context: context) }
        router.get("/graphql") { request, context in await get(request, context: context) }
        for method in [HTTPRequest.Method.put, .patch, .delete] {
            router.on("/graphql", method: method) { _, _ in
                ProblemResponse.make(.methodNotAllowed, detail: "Use POST (or GET for queries).", headers: [.allow: "GET, POST"])
            }
        }
    }

    private func post(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let start = ContinuousClock.now
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
        return await respond(graphQLRequest, request: request, allowsMutations: true, start: start)
    }

    private func get(_ request: Request, context: BasicRequestContext) async -> Response {
        let start = ContinuousClock.now
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
        return await respond(graphQLRequest, request: request, allowsMutations: false, start: start)
    }

    private func respond(_ graphQLRequest: GraphQLRequest, request: Request, allowsMutations: Bool, start: ContinuousClock.Instant) async -> Response {
        let response = await engine.execute(graphQLRequest, context: ExecutionContext(allowsMutations: allowsMutations))
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
        var w = JSONWriter()
        w.raw("{\"errors\":[{\"message\":")
        w.string(message)
        w.raw(",\"extensions\":{\"code\":\"BAD_REQUEST\"}}]}")
        let modern = Self.acceptsGraphQLResponse(request)
        return Response(
            status: .badRequest,
            headers: [.contentType: modern ? "application/graphql-response+json; charset=utf-8" : "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    static func acceptsGraphQLResponse(_ request: Request) -> Bool {
        request.headers[values: .accept].contains { $0.lowercased().contains("application/graphql-response+json") }
    }
}
