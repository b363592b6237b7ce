import HTTPTypes
import Hummingbird
import NIOCore
import TideFeed
import TideModel
import TideStore

/// `GET /metrics` and `GET /schema`.
struct OperationalRoutes {
    let store: Store
    let metrics: ServerMetrics
    let consumers: [FeedConsumerRunner]
    /// More samples (the notification sender's).
    let sources: [MetricsSource]
    /// The annotated SDL the server runs.
    let schemaSource: String

    func register(on router: Router<TidewaterRequestContext>) {
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition(
                    store: store.statistics, feedHead: store.feedHead, consumers: consumers, sources: sources))))
        }
        // The annotated schema (directives included), for clients that mirror the models, their
        // conflict strategies and indexes (TideClient). Served to anyone: `--introspection` does
        // not cover it (docs/OPERATIONS.md says so).
        let schema = ByteBuffer(string: schemaSource)
        router.get("/schema") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/graphql; charset=utf-8"],
                body: ResponseBody(byteBuffer: schema))
        }
    }
}

/// `GET /healthz`: the process serves requests (the transport ceiling in benchmarks).
struct HealthEndpoint: DirectEndpoint {
    func respond(to request: HTTPRequest, body: ByteBuffer, principal: Principal) -> EndpointReply {
        guard request.method == .get || request.method == .head else {
            return .now(ProblemResponse.reply(.methodNotAllowed, detail: "Use GET.", headers: [.allow: "GET, HEAD"]))
        }
        return .now(HTTPReply(head: HTTPResponse(status: .ok, headerFields: [.contentType: "application/json"]), body: Self.body))
    }

    private static let body = ByteBuffer(staticString: "{\"status\":\"ok\"}")
}
