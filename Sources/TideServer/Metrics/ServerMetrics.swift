import Metrics
import Prometheus
import Synchronization
import TideFeed
import TideStore

/// Samples for `/metrics` from a part the server runs without depending on it (the
/// notification sender): Prometheus text, `# TYPE` lines included, read at each scrape.
public typealias MetricsSource = @Sendable () -> String

/// The server's metrics, exposed at `GET /metrics` in Prometheus text format.
///
/// Metric handles are created through swift-metrics with an explicit Prometheus factory (no
/// global bootstrap, so several servers can live in one test process) and cached by label so a
/// request costs an atomic increment, not a registry lookup.
public final class ServerMetrics: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let handles = Mutex<[String: (Metrics.Counter, Metrics.Timer)]>([:])
    private let rateLimited: [String: Metrics.Counter]
    private let realtime = RealtimeCounters()

    /// Realtime counts, kept as atomics (an event sent is one increment) and read at exposition.
    private final class RealtimeCounters: Sendable {
        let connections = Atomic<Int>(0)
        let subscriptions = Atomic<Int>(0)
        let eventsSent = Atomic<Int>(0)
        let overflowCloses = Atomic<Int>(0)
    }

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .seconds(1),
        ]
        self.registry = registry
        self.factory = factory
        rateLimited = Dictionary(
            uniqueKeysWithValues: ["auth", "graphql"].map { route in
                (route, Metrics.Counter(label: "tidewater_rate_limited_total", dimensions: [("route", route)], factory: factory))
            })
    }

    /// Counts one request refused by a rate limit (`route`: `auth` or `graphql`).
    public func recordRateLimited(route: String) {
        rateLimited[route]?.increment()
    }

    /// A WebSocket connection was acknowledged.
    public func realtimeConnectionOpened() { realtime.connections.add(1, ordering: .relaxed) }
    /// An acknowledged WebSocket connection ended.
    public func realtimeConnectionClosed() { realtime.connections.subtract(1, ordering: .relaxed) }
    public func realtimeSubscriptionStarted() { realtime.subscriptions.add(1, ordering: .relaxed) }
    public func realtimeSubscriptionEnded() { realtime.subscriptions.subtract(1, ordering: .relaxed) }
    /// One `next` message with a change-feed event was written to a socket.
    public func realtimeEventSent() { realtime.eventsSent.add(1, ordering: .relaxed) }
    /// A connection fell too far behind the feed and is being closed (4413).
    public func realtimeOverflowClose() { realtime.overflowCloses.add(1, ordering: .relaxed) }

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

    /// Prometheus text exposition format: request metrics, then the store's write path
    /// (read from its own counters, which the writer thread keeps without a metrics call), then
    /// each feed consumer's position and lag, then what `sources` add (complete samples with
    /// their `# TYPE` lines).
    public func exposition(
        store: StoreStatistics, feedHead: Int64, consumers: [FeedConsumerRunner] = [], sources: [MetricsSource] = []
    ) -> [UInt8] {
        var text = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        func sample(_ name: String, _ type: String, _ value: String) {
            text += "# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        sample("tidewater_store_commits_total", "counter", "\(store.commits)")
        sample("tidewater_store_writes_committed_total", "counter", "\(store.writesCommitted)")
        sample("tidewater_store_writes_failed_total", "counter", "\(store.writesFailed)")
        sample("tidewater_store_commit_seconds_total", "counter", "\(Double(store.commitNanoseconds) / 1e9)")
        sample("tidewater_feed_head_seq", "gauge", "\(feedHead)")
        sample("tidewater_realtime_connections", "gauge", "\(realtime.connections.load(ordering: .relaxed))")
        sample("tidewater_realtime_subscriptions", "gauge", "\(realtime.subscriptions.load(ordering: .relaxed))")
        sample("tidewater_realtime_events_sent_total", "counter", "\(realtime.eventsSent.load(ordering: .relaxed))")
        sample("tidewater_realtime_overflow_closes_total", "counter", "\(realtime.overflowCloses.load(ordering: .relaxed))")
        text += "# TYPE tidewater_store_commit_batch_size histogram\n"
        var cumulative: Int64 = 0
        for (bound, count) in zip(StoreStatistics.batchSizeBucketBounds, store.batchSizeBucketCounts) {
            cumulative += count
            text += "tidewater_store_commit_batch_size_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "tidewater_store_commit_batch_size_bucket{le=\"+Inf\"} \(store.commits)\n"
        text += "tidewater_store_commit_batch_size_sum \(store.batchSizeSum)\n"
        text += "tidewater_store_commit_batch_size_count \(store.commits)\n"
        if !consumers.isEmpty {
            let lags = consumers.map { ($0.name, $0.position ?? 0, $0.lag()) }
            text += "# TYPE tidewater_feed_consumer_position_seq gauge\n"
            for (name, position, _) in lags { text += "tidewater_feed_consumer_position_seq{consumer=\"\(name)\"} \(position)\n" }
            text += "# TYPE tidewater_feed_consumer_lag_entries gauge\n"
            for (name, _, lag) in lags { text += "tidewater_feed_consumer_lag_entries{consumer=\"\(name)\"} \(lag.entries)\n" }
            text += "# TYPE tidewater_feed_consumer_lag_seconds gauge\n"
            for (name, _, lag) in lags { text += "tidewater_feed_consumer_lag_seconds{consumer=\"\(name)\"} \(lag.seconds)\n" }
        }
        for source in sources { text += source() }
        return Array(text.utf8)
    }
}
