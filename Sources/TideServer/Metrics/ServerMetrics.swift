import Metrics
import Prometheus
import Synchronization

/// The server's metrics, exposed at `GET /metrics` in Prometheus text format.
///
/// Metric handles are created through swift-metrics with an explicit Prometheus factory (no
/// global bootstrap, so several servers can live in one test process) and cached by label so a
/// request costs an atomic increment, not a registry lookup.
public final class ServerMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let handles = Mutex<[String: (Metrics.Counter, Metrics.Timer)]>([:])
    private let batchSize: Metrics.Recorder
    private let commits: Metrics.Gauge
    private let writes: Metrics.Gauge
    private let feedHead: Metrics.Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        factory.valueHistogramBuckets["tidewater_store_commit_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        self.registry = registry
        self.factory = factory
        batchSize = Metrics.Recorder(label: "tidewater_store_commit_batch_size", dimensions: [], aggregate: true, factory: factory)
        commits = Metrics.Gauge(label: "tidewater_store_commits_total", dimensions: [], factory: factory)
        writes = Metrics.Gauge(label: "tidewater_store_writes_committed_total", dimensions: [], factory: factory)
        feedHead = Metrics.Gauge(label: "tidewater_feed_head_seq", dimensions: [], factory: factory)
    }

    /// Counts one GraphQL request and records its latency.
    public func recordRequest(operation: String, outcome: String, duration: Duration) {
        let key = operation + "\u{0}" + outcome
        let (counter, timer) = handles.withLock { handles in
            if let existing = handles[key] { return existing }
            let dimensions = [("operation", operation), ("outcome", outcome)]
            let made = (
                Metrics.Counter(label: "tidewater_graphql_requests_total", dimensions: dimensions, factory: factory),
                Metrics.Timer(label: "tidewater_graphql_request_duration_seconds", dimensions: dimensions, factory: factory)
            )
            handles[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// Records the size of one group commit.
    public func recordCommitBatch(size: Int) {
        batchSize.record(size)
    }

    /// Updates the store gauges just before an exposition.
    public func updateStore(commits: Int64, writes: Int64, feedHead: Int64) {
        self.commits.record(commits)
        self.writes.record(writes)
        self.feedHead.record(feedHead)
    }

    /// Prometheus text exposition format.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }
}
