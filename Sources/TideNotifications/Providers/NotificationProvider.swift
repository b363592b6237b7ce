/// A service that delivers messages of one channel (FCM and APNs for push, SMTP for email, an
/// SMS gateway, webhooks). The sender calls it once per attempt and records the outcome in the
/// ledger; the provider never retries by itself.
///
/// ```swift
/// struct LogProvider: NotificationProvider {
///     func send(_ delivery: Delivery) async -> DeliveryOutcome {
///         print("\(delivery.channel) to \(delivery.address): \(delivery.message.body)")
///         return .sent(providerMessageId: nil)
///     }
///     func shutdown() async {}
/// }
/// ```
public protocol NotificationProvider: Sendable {
    /// One attempt. Never throws: every failure is classified (see ``DeliveryOutcome``).
    func send(_ delivery: Delivery) async -> DeliveryOutcome
    /// Closes connections; no `send` follows.
    func shutdown() async
}

/// One attempt at one delivery: where to, and what.
public struct Delivery: Sendable, Hashable {
    /// The ledger row's id; webhooks send it as `X-Tidewater-Delivery` so receivers can dedupe.
    public var id: String
    public var channel: NotificationChannel
    /// For push: which service the device token belongs to.
    public var platform: PushPlatform?
    /// A device token, an email address, an E.164 number or a webhook URL.
    public var address: String
    public var message: RenderedMessage
    /// Replaces an earlier notification with the same key on the device (`apns-collapse-id`,
    /// FCM's `collapse_key`).
    public var collapseId: String?
    /// String pairs a push carries for the app (`data` in FCM, beside `aps` in APNs).
    public var data: [String: String]

    public init(
        id: String, channel: NotificationChannel, platform: PushPlatform? = nil, address: String,
        message: RenderedMessage, collapseId: String? = nil, data: [String: String] = [:]
    ) {
        self.id = id
        self.channel = channel
        self.platform = platform
        self.address = address
        self.message = message
        self.collapseId = collapseId
        self.data = data
    }
}

/// What one attempt came to.
public enum DeliveryOutcome: Sendable, Hashable {
    /// Accepted, with the provider's id for the message when it gives one.
    case sent(providerMessageId: String?)
    /// Not delivered, worth another try: 5xx, 429 (with its `Retry-After`, in seconds), a
    /// connection that failed or timed out before the request was fully written.
    case transient(reason: String, retryAfter: Int?)
    /// Not delivered and never will be as it stands: a refused address or token (then
    /// `disableEndpoint`), or another 4xx.
    case permanent(reason: String, disableEndpoint: Bool)
    /// The request was written and no answer came (a timeout or a dropped connection after
    /// the last byte): the provider may have delivered it.
    case unknown(reason: String)
}
