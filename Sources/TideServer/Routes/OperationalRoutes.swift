import Hummingbird
import TideStore

/// `GET /healthz` and `GET /metrics`.
struct OperationalRoutes {
    let store: Store
    let metrics: ServerMetrics

    func register(on router: Router<TidewaterRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(staticString: "{\"status\":\"ok\"}")))
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition(store: store.statistics, feedHead: store.feedHead))))
        }
    }
}
