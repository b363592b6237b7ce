import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TideModel

/// Sends the ledger's due deliveries: one ``DeliveryStateMachine`` transition recorded before
/// each attempt (in flight) and one after it, so that a crash never sends a `sent` row again and
/// an interrupted attempt is recovered as the channel allows. A swift-service-lifecycle
/// `Service`; it stops at graceful shutdown after the attempts under way.
///
/// Before an attempt the row is checked again against the present: the endpoint still exists
/// and is enabled, the rule is still in the rules file, the user has not opted out, is still a
/// member of the rule's group; quiet hours and the rate cap defer it (no try is spent).
public final class NotificationSender: Service, Sendable {
    private let store: NotificationStore
    private let rules: [String: NotificationRule]
    private let providers: any ProviderDirectory
    private let directory: any RecipientDirectory
    private let machine: DeliveryStateMachine
    private let limits: [NotificationChannel: ConcurrencyLimit]
    private let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let wakeup: AsyncStream<Void>.Continuation
    private let now: @Sendable () -> Date
    /// Deliveries by channel and state, provider latency, sends in flight.
    public let metrics = NotificationMetrics()

    /// - Parameter concurrency: sends in flight at once per channel.
    public init(
        store: NotificationStore, rules: [NotificationRule], providers: any ProviderDirectory, directory: any RecipientDirectory,
        machine: DeliveryStateMachine = DeliveryStateMachine(), concurrency: Int = 16,
        logger: Logger = Logger(label: "tidewater.notifications"), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.rules = Dictionary(rules.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.providers = providers
        self.directory = directory
        self.machine = machine
        self.limits = Dictionary(uniqueKeysWithValues: NotificationChannel.allCases.map { ($0, ConcurrencyLimit(concurrency)) })
        self.logger = logger
        self.now = now
        (wakeups, wakeup) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// New rows were written: look for due ones now rather than at the next timer.
    public func wake() { wakeup.yield() }

    /// The sender's samples for `/metrics`, with the ledger's queue depth.
    public func metricsExposition() -> String {
        metrics.exposition(queue: try? store.openCounts())
    }

    public func run() async throws {
        try recoverInterruptedAttempts()
        try await cancelWhenGracefulShutdown { [self] in
            // One iterator for the whole loop: a stream whose waiting task is cancelled finishes,
            // so the wake-ups are never awaited in a child task that a timer's win cancels.
            var wakes = wakeups.makeAsyncIterator()
            while !Task.isCancelled {
                let due = try store.dueDeliveries(now: milliseconds(), limit: 512)
                if !due.isEmpty {
                    await withTaskGroup(of: Void.self) { group in
                        for row in due { group.addTask { await self.attempt(row) } }
                    }
                    continue
                }
                // Sleep until the next row falls due (at most a second: rows another process
                // re-opened, `tidewater deliveries retry`, are found without a signal) or a wake-up.
                let next = (try store.nextDueTime()).map { max(0, $0 - milliseconds()) } ?? 1_000
                let timer = Task { [wakeup] in
                    guard (try? await Task.sleep(for: .milliseconds(min(next, 1_000)))) != nil else { return }
                    wakeup.yield()
                }
                _ = await wakes.next()
                timer.cancel()
            }
        }
    }

    /// Rows left in flight by a crash: unknown, or open again for channels whose receivers dedupe.
    func recoverInterruptedAttempts() throws {
        let time = milliseconds()
        for row in try store.inFlightDeliveries() {
            let recovered = machine.recover(row.progress, redeliverable: row.channel == .webhook, now: time)
            try store.update(row.id, recovered, now: time)
            metrics.record(row.channel, recovered.state)
            logger.warning(
                "delivery interrupted by a stop", metadata: ["delivery": "\(row.id)", "state": "\(recovered.state.rawValue)"])
        }
    }

    /// One attempt at one row (or its deferral, or its end when it no longer applies).
    func attempt(_ row: DeliveryRow) async {
        do {
            let time = milliseconds()
            switch try await check(row, at: time) {
            case .give(let reason):
                var dead = row.progress
                dead.state = .dead
                dead.lastError = reason
                try await store.commitUpdate(row.id, dead, now: time)
                metrics.record(row.channel, .dead)
            case .hold(let until):
                try await store.commitUpdate(row.id, machine.hold(row.progress, until: until), now: time)
                metrics.record(row.channel, .deferred)
            case .send(let provider, let delivery):
                let limit = limits[row.channel]!
                await limit.acquire()
                defer { Task { await limit.release() } }
                let started = machine.begin(row.progress)
                try await store.commitUpdate(row.id, started, now: milliseconds())
                metrics.sendStarted(row.channel)
                let clock = ContinuousClock.now
                let outcome = await provider.send(delivery)
                let elapsed = (ContinuousClock.now - clock).components
                metrics.sendFinished(row.channel, seconds: Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18)
                let (finished, disable) = machine.finish(
                    started, with: outcome, redeliverable: row.channel == .webhook, now: milliseconds(), jitter: Double.random(in: 0..<1))
                try await store.commitUpdate(row.id, finished, now: milliseconds())
                metrics.record(row.channel, finished.state)
                if disable {
                    try store.disableEndpoint(id: row.endpointId, reason: finished.lastError ?? "refused by the provider")
                }
            }
        } catch {
            // The ledger could not be written: the row stays as it was and is tried again.
            logger.error("delivery bookkeeping failed", metadata: ["delivery": "\(row.id)", "error": "\(error)"])
        }
    }

    private enum Check {
        case give(up: String)
        case hold(until: Int64)
        case send(any NotificationProvider, Delivery)
    }

    private func check(_ row: DeliveryRow, at time: Int64) async throws -> Check {
        guard let rule = rules[row.rule] else { return .give(up: "the rule \(row.rule) is no longer in the rules file") }
        guard let endpoint = try store.endpoint(id: row.endpointId) else { return .give(up: "the endpoint was removed") }
        guard endpoint.enabled else { return .give(up: "the endpoint is disabled: \(endpoint.disabledReason ?? "")") }
        if try store.isOptedOut(userId: row.userId, channel: row.channel, topic: rule.topic) {
            return .give(up: "the user opted out of \(row.channel.ruleName)\(rule.topic.map { " (\($0))" } ?? "")")
        }
        if case .group(let group) = rule.recipients, try await !directory.members(ofGroup: group).contains(row.userId) {
            return .give(up: "the user is no longer a member of \(group)")
        }
        if let quiet = rule.quietHours {
            let zone = endpoint.timeZone.flatMap(TimeZone.init(identifier:)) ?? TimeZone(identifier: "UTC")!
            let date = Date(timeIntervalSince1970: Double(time) / 1000)
            let allowed = quiet.nextAllowed(after: date, in: zone)
            if allowed > date { return .hold(until: Int64(allowed.timeIntervalSince1970 * 1000)) }
        }
        if let cap = rule.rateCap {
            let sent = try store.sendTimes(rule: rule.name, userId: row.userId, since: time - cap.period * 1000).map { $0 / 1000 }
            let allowed = cap.nextAllowed(now: time / 1000, previousSends: sent)
            if allowed > time / 1000 { return .hold(until: allowed * 1000) }
        }
        guard let provider = providers.provider(for: row.channel, platform: endpoint.platform) else {
            return .give(up: "no provider for \(row.channel.ruleName)\(endpoint.platform.map { " (\($0.rawValue))" } ?? "")")
        }
        guard let text = try store.event(seq: row.seq), let event = try? JSONParser.parse(text) else {
            return .give(up: "the event of feed entry \(row.seq) is missing")
        }
        let delivery = Delivery(
            id: row.id, channel: row.channel, platform: endpoint.platform, address: endpoint.address,
            message: rule.templates.render(row.channel, json: event),
            data: ["seq": "\(row.seq)", "rule": rule.name, "model": event["model"]?.stringValue ?? "", "id": event["id"]?.stringValue ?? ""])
        return .send(provider, delivery)
    }

    private func milliseconds() -> Int64 { Int64(now().timeIntervalSince1970 * 1000) }
}
