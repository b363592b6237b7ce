import Foundation
import Synchronization
import TideModel
import TideTestSupport

/// A user's WebSocket subscriptions to every create, update and delete of both models. Each
/// remembers the last `extensions.seq` it received; after a restart it subscribes again with
/// `resumeFrom` that seq, and must then have received every acknowledged write it may read,
/// none twice.
final class ResumingSubscriber: Sendable {
    struct Subscription: Hashable, Sendable {
        var model: CrashModel
        var operation: CrashOperation
        var id: String { "\(model.rawValue).\(operation.rawValue)" }
        static let all = CrashModel.allCases.flatMap { model in CrashOperation.allCases.map { Subscription(model: model, operation: $0) } }
    }

    /// A record at a version: what one event reports.
    struct Event: Hashable, Sendable {
        var id: String
        var version: Int64
    }

    private struct State {
        /// Events received per subscription over the whole run, with how often each came.
        var received: [Subscription: [Event: Int]] = [:]
        /// The last seq each subscription received.
        var positions: [Subscription: Int64] = [:]
        var reportedDuplicates: Set<String> = []
    }

    let user: String
    private let report: RunReport
    private let state = Mutex(State())

    init(user: String, report: RunReport) {
        self.user = user
        self.report = report
    }

    /// The last seq a subscription received (0 before any).
    private func position(_ subscription: Subscription) -> Int64 {
        state.withLock { $0.positions[subscription] ?? 0 }
    }

    /// Opens a socket, subscribes (resuming each subscription from its position) and records
    /// what arrives until the socket ends.
    func connect(_ server: ServerProcess, token: String) async throws -> GraphQLSocket {
        let socket = try await GraphQLSocket.connect(server)
        try await socket.initialize(["Authorization": "Bearer \(token)"])
        for subscription in Subscription.all {
            try await socket.subscribe(
                subscription.id, "subscription { on\(subscription.operation.rawValue)\(subscription.model.rawValue) { id _version } }",
                resumeFrom: position(subscription))
        }
        Task { [self] in
            // Ends when the socket does (the server was killed, or the run closed it).
            while let message = try? await socket.next(timeout: .seconds(24 * 3600)) { record(message) }
        }
        return socket
    }

    private func record(_ message: JSONValue) {
        guard let id = message["id"]?.stringValue, let subscription = Subscription.all.first(where: { $0.id == id }) else { return }
        switch message["type"]?.stringValue {
        case "next":
            let payload = message["payload"]
            let record = payload?["data"]?["on\(subscription.operation.rawValue)\(subscription.model.rawValue)"]
            guard let seq = payload?["extensions"]?["seq"]?.intValue, let recordID = record?["id"]?.stringValue,
                let version = record?["_version"]?.intValue
            else {
                report.problem("\(user) \(id): an event without extensions.seq, id or _version: \(message.jsonString.prefix(300))")
                return
            }
            let outOfOrder = state.withLock { state -> Bool in
                state.received[subscription, default: [:]][Event(id: recordID, version: version), default: 0] += 1
                defer { state.positions[subscription] = max(seq, state.positions[subscription] ?? 0) }
                return seq <= state.positions[subscription] ?? 0
            }
            if outOfOrder { report.problem("\(user) \(id): seq \(seq) arrived after a later one") }
        case "error":
            report.problem("\(user) \(id): the subscription was refused: \(message.jsonString.prefix(300))")
        default:
            report.problem("\(user) \(id): unexpected \(message.jsonString.prefix(300))")
        }
    }

    /// Waits (up to `timeout`) until every acknowledged write this user may read has arrived
    /// on its subscription; reports what is missing and what came twice. Returns the number
    /// of events checked.
    func check(_ acknowledgements: [Acknowledgement], timeout: Duration) async -> Int {
        var expected: [Subscription: Set<Event>] = [:]
        for ack in acknowledgements where ack.key.model.isVisible(to: user, owner: ack.owner) {
            expected[Subscription(model: ack.key.model, operation: ack.operation), default: []]
                .insert(Event(id: ack.key.id, version: ack.version))
        }
        let deadline = ContinuousClock.now + timeout
        var missing: [Subscription: [Event]] = [:]
        repeat {
            missing = state.withLock { state in
                var missing: [Subscription: [Event]] = [:]
                for (subscription, events) in expected {
                    let received = state.received[subscription] ?? [:]
                    let absent = events.filter { received[$0] == nil }.sorted { ($0.id, $0.version) < ($1.id, $1.version) }
                    if !absent.isEmpty { missing[subscription] = absent }
                }
                return missing
            }
            if missing.isEmpty { break }
            try? await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline
        for (subscription, events) in missing.sorted(by: { $0.key.id < $1.key.id }) {
            let list = events.prefix(10).map { "\($0.id) v\($0.version)" }.joined(separator: ", ")
            report.problem("\(user) \(subscription.id): \(events.count) acknowledged writes never arrived: \(list)")
        }
        let duplicates = state.withLock { state in
            var found: [String] = []
            for (subscription, events) in state.received {
                for (event, count) in events where count > 1 {
                    let text = "\(user) \(subscription.id): \(event.id) v\(event.version) arrived \(count) times"
                    if state.reportedDuplicates.insert(text).inserted { found.append(text) }
                }
            }
            return found
        }
        for text in duplicates.sorted() { report.problem(text) }
        return expected.values.reduce(0) { $0 + $1.count }
    }
}
