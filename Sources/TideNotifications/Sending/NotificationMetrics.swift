import Synchronization

/// The sender's figures for `/metrics` (Prometheus text): deliveries by channel and the state
/// an attempt or a check left them in, the providers' latency per channel, sends in flight, and
/// (read from the ledger at exposition) the queue depth by open state.
public final class NotificationMetrics: Sendable {
    /// Upper bounds (seconds) of the provider-latency histogram's buckets.
    static let latencyBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    private struct Histogram {
        var buckets = [Int](repeating: 0, count: NotificationMetrics.latencyBounds.count)
        var count = 0
        var sum = 0.0
    }

    private struct State {
        var deliveries: [NotificationChannel: [DeliveryState: Int]] = [:]
        var latency: [NotificationChannel: Histogram] = [:]
        var inFlight: [NotificationChannel: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A delivery of `channel` reached `state` (an attempt's outcome, a deferral, a give-up).
    func record(_ channel: NotificationChannel, _ reached: DeliveryState) {
        state.withLock { $0.deliveries[channel, default: [:]][reached, default: 0] += 1 }
    }

    /// A provider call of `channel` starts.
    func sendStarted(_ channel: NotificationChannel) {
        state.withLock { $0.inFlight[channel, default: 0] += 1 }
    }

    /// A provider call of `channel` returned after `seconds`.
    func sendFinished(_ channel: NotificationChannel, seconds: Double) {
        state.withLock { state in
            state.inFlight[channel, default: 0] -= 1
            var histogram = state.latency[channel] ?? Histogram()
            if let bucket = Self.latencyBounds.firstIndex(where: { seconds <= $0 }) { histogram.buckets[bucket] += 1 }
            histogram.count += 1
            histogram.sum += seconds
            state.latency[channel] = histogram
        }
    }

    /// The samples in Prometheus text format; `queue` is the ledger's open rows by state (nil
    /// when the ledger could not be read: the gauge is left out rather than shown as zero).
    public func exposition(queue: [DeliveryState: Int]?) -> String {
        let snapshot = state.withLock { $0 }
        let channels = NotificationChannel.allCases
        var text = "# TYPE tidewater_notification_deliveries_total counter\n"
        for channel in channels {
            for (reached, count) in (snapshot.deliveries[channel] ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                text += "tidewater_notification_deliveries_total{channel=\"\(channel.ruleName)\",state=\"\(reached.rawValue)\"} \(count)\n"
            }
        }
        text += "# TYPE tidewater_notification_provider_seconds histogram\n"
        for channel in channels {
            guard let histogram = snapshot.latency[channel] else { continue }
            let label = "channel=\"\(channel.ruleName)\""
            var cumulative = 0
            for (bound, count) in zip(Self.latencyBounds, histogram.buckets) {
                cumulative += count
                text += "tidewater_notification_provider_seconds_bucket{\(label),le=\"\(bound)\"} \(cumulative)\n"
            }
            text += "tidewater_notification_provider_seconds_bucket{\(label),le=\"+Inf\"} \(histogram.count)\n"
            text += "tidewater_notification_provider_seconds_sum{\(label)} \(histogram.sum)\n"
            text += "tidewater_notification_provider_seconds_count{\(label)} \(histogram.count)\n"
        }
        text += "# TYPE tidewater_notification_sends_in_flight gauge\n"
        for channel in channels {
            text += "tidewater_notification_sends_in_flight{channel=\"\(channel.ruleName)\"} \(snapshot.inFlight[channel] ?? 0)\n"
        }
        if let queue {
            text += "# TYPE tidewater_notification_queue_depth gauge\n"
            for open in DeliveryState.allCases where open.isOpen {
                text += "tidewater_notification_queue_depth{state=\"\(open.rawValue)\"} \(queue[open] ?? 0)\n"
            }
        }
        return text
    }
}
