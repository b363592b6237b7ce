import Foundation
import TideModel
import TideSQLite

/// The GraphQL endpoint and opt-out operations (``EndpointDirectory``) over the notification
/// store: addresses checked per channel (``EndpointAddress``), time zones against the IANA
/// database, opt-out topics against the rules file, at most ``maxEndpointsPerUser`` endpoints
/// per user. A refused call stores nothing.
///
/// ```swift
/// let directory = NotificationEndpoints(store: store, configuration: configuration)
/// let engine = try GraphQLEngine(schema: schema, store: records, pageTokenKey: key, endpoints: directory)
/// ```
public struct NotificationEndpoints: EndpointDirectory {
    /// Endpoints one user may have: each is a send per matching change, so the bound keeps one
    /// account from multiplying the server's outgoing traffic.
    public static let maxEndpointsPerUser = 50

    let store: NotificationStore
    let webhookAllow: [String]
    /// The rules file's `topic`s, which users opt out of.
    let topics: Set<String>
    let now: @Sendable () -> Date

    public init(store: NotificationStore, configuration: NotificationConfiguration, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.webhookAllow = configuration.webhookAllow
        self.topics = Set(configuration.rules.compactMap(\.topic))
        self.now = now
    }

    public func register(_ registration: EndpointRegistration, userId: String) throws(EndpointDirectoryError) -> RegisteredEndpoint {
        guard let channel = NotificationChannel(rawValue: registration.channel) else {
            throw .invalidInput(field: "input.channel", reason: "unknown channel \(registration.channel)")
        }
        var platform: PushPlatform?
        if let name = registration.platform {
            guard let known = PushPlatform(rawValue: name) else {
                throw .invalidInput(field: "input.platform", reason: "unknown platform \(name)")
            }
            platform = known
        }
        if let problem = EndpointAddress.problem(
            channel: channel, platform: platform, address: registration.address, webhookAllow: webhookAllow)
        {
            // The platform is at fault when it is missing for PUSH or given for another channel.
            let field = (channel == .push) == (platform == nil) ? "input.platform" : "input.address"
            throw .invalidInput(field: field, reason: problem)
        }
        if let zone = registration.timeZone, TimeZone(identifier: zone) == nil {
            throw .invalidInput(field: "input.timeZone", reason: "not an IANA time zone name such as Europe/Berlin")
        }
        let endpoint = try storage { () throws(SQLiteError) -> Endpoint? in
            let existing = try store.endpoints(userId: userId)
            let known = existing.contains { $0.channel == channel && $0.address == registration.address }
            guard known || existing.count < Self.maxEndpointsPerUser else { return nil }
            return try store.registerEndpoint(
                userId: userId, channel: channel, address: registration.address, platform: platform,
                timeZone: registration.timeZone, now: Int64(now().timeIntervalSince1970 * 1000))
        }
        guard let endpoint else {
            throw .limitExceeded("A user may register at most \(Self.maxEndpointsPerUser) endpoints; remove one first.")
        }
        return Self.registered(endpoint)
    }

    public func remove(id: String, userId: String) throws(EndpointDirectoryError) -> RegisteredEndpoint {
        guard let endpoint = try storage({ () throws(SQLiteError) in try store.removeEndpoint(id: id, userId: userId) }) else {
            throw .notFound(id: id)
        }
        return Self.registered(endpoint)
    }

    public func endpoints(userId: String) throws(EndpointDirectoryError) -> [RegisteredEndpoint] {
        try storage { () throws(SQLiteError) in try store.endpoints(userId: userId) }.map(Self.registered)
    }

    public func setOptOut(userId: String, channel: String, topic: String?, optedOut: Bool) throws(EndpointDirectoryError) {
        guard let channel = NotificationChannel(rawValue: channel) else {
            throw .invalidInput(field: "channel", reason: "unknown channel \(channel)")
        }
        if let topic, !topics.contains(topic) {
            throw .invalidInput(
                field: "topic",
                reason: topics.isEmpty
                    ? "the rules file names no topics; leave topic out to opt out of the whole channel"
                    : "not a topic of the rules file (topics: \(topics.sorted().joined(separator: ", ")))")
        }
        try storage { () throws(SQLiteError) in
            try store.setOptOut(userId: userId, channel: channel, topic: topic, optedOut: optedOut)
        }
    }

    private func storage<T>(_ body: () throws(SQLiteError) -> T) throws(EndpointDirectoryError) -> T {
        do { return try body() } catch { throw .storage("\(error)") }
    }

    static func registered(_ endpoint: Endpoint) -> RegisteredEndpoint {
        RegisteredEndpoint(
            id: endpoint.id, channel: endpoint.channel.rawValue, address: endpoint.address, platform: endpoint.platform?.rawValue,
            timeZone: endpoint.timeZone, enabled: endpoint.enabled, disabledReason: endpoint.disabledReason,
            createdAt: endpoint.createdAt)
    }
}
