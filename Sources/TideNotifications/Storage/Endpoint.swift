/// Where one user receives one channel: a device token, an email address, a phone number or a
/// webhook URL (the GraphQL `Endpoint`).
public struct Endpoint: Sendable, Hashable {
    public var id: String
    public var userId: String
    public var channel: NotificationChannel
    public var address: String
    public var platform: PushPlatform?
    /// IANA time zone for quiet hours (`Europe/Berlin`); nil: UTC.
    public var timeZone: String?
    public var enabled: Bool
    /// Why the endpoint was disabled (a provider refused the token or address).
    public var disabledReason: String?
    /// Epoch milliseconds.
    public var createdAt: Int64

    public init(
        id: String, userId: String, channel: NotificationChannel, address: String, platform: PushPlatform?,
        timeZone: String?, enabled: Bool = true, disabledReason: String? = nil, createdAt: Int64
    ) {
        self.id = id
        self.userId = userId
        self.channel = channel
        self.address = address
        self.platform = platform
        self.timeZone = timeZone
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.createdAt = createdAt
    }
}

/// One ledger row: a delivery of one feed entry, by one rule, to one endpoint.
public struct DeliveryRow: Sendable, Hashable {
    public var id: String
    public var seq: Int64
    public var rule: String
    public var endpointId: String
    public var userId: String
    public var channel: NotificationChannel
    public var progress: DeliveryProgress
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: String, seq: Int64, rule: String, endpointId: String, userId: String, channel: NotificationChannel,
        progress: DeliveryProgress = DeliveryProgress(), createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.seq = seq
        self.rule = rule
        self.endpointId = endpointId
        self.userId = userId
        self.channel = channel
        self.progress = progress
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
