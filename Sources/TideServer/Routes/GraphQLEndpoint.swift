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
/// Each request has been authenticated and rate limited before its body was read
/// (``Admission``); it arrives here with the caller it acts for.
///
/// Served by ``HTTPExchangeHandler`` on the connection's event loop, not through the router:
/// a query is answered there without a task (the engine reads the store synchronously); only
/// mutations and the schema's first introspection continue in a task.
struct GraphQLEndpoint: DirectEndpoint {
    let engine: GraphQLEngine
    let metrics: ServerMetrics

    func respond(to request: HTTPRequest, body: ByteBuffer, principal: Principal) -> EndpointReply {
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
        return Self.errorReply(.badRequest, message: message, code: .badRequest, modern: modern)
    }

    /// A GraphQL error response without `data`, in the media type the client accepts.
    static func errorReply(
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
