import Hummingbird
import TideModel

/// RFC 9457 problem details (`application/problem+json`) for failures outside GraphQL:
/// wrong method or media type, oversized bodies, unknown routes.
struct ProblemResponse {
    static let mediaType = "application/problem+json"

    /// For Hummingbird's router.
    static func make(_ status: HTTPResponse.Status, detail: String, headers: HTTPFields = [:]) -> Response {
        let reply = reply(status, detail: detail, headers: headers)
        return Response(status: status, headers: reply.head.headerFields, body: ResponseBody(byteBuffer: reply.body))
    }

    /// For the direct endpoints and the connection handler.
    static func reply(_ status: HTTPResponse.Status, detail: String, headers extra: HTTPFields = [:]) -> HTTPReply {
        var headers: HTTPFields = [.contentType: mediaType]
        headers.append(contentsOf: extra)
        return HTTPReply(status: status, headers: headers, body: body(status, detail: detail))
    }

    private static func body(_ status: HTTPResponse.Status, detail: String) -> [UInt8] {
        let body: JSONValue = [
            "type": "about:blank",
            "title": .string(status.reasonPhrase),
            "status": .int(Int64(status.code)),
            "detail": .string(detail),
        ]
        return body.jsonBytes
    }
}

/// Turns every error that escapes a route (including Hummingbird's own 404/413) into a problem
/// response, so no client ever sees a bare status or an internal message.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            return ProblemResponse.make(error.status, detail: error.body ?? error.status.reasonPhrase, headers: error.headers)
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            return ProblemResponse.make(.internalServerError, detail: "Internal server error.")
        }
    }
}
