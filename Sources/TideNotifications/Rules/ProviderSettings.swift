/// The providers a rules file configures (`providers:`); a channel whose provider is missing
/// cannot be used by a rule.
public struct ProviderSettings: Sendable {
    public var smtp: SMTPSettings?
    public var twilio: TwilioSettings?
    public var fcm: FCMSettings?
    public var apns: APNsSettings?
    public var webhook: WebhookSettings?

    public init(
        smtp: SMTPSettings? = nil, twilio: TwilioSettings? = nil, fcm: FCMSettings? = nil,
        apns: APNsSettings? = nil, webhook: WebhookSettings? = nil
    ) {
        self.smtp = smtp
        self.twilio = twilio
        self.fcm = fcm
        self.apns = apns
        self.webhook = webhook
    }
}

/// `providers.email.smtp`.
public struct SMTPSettings: Sendable {
    public var host: String
    public var port: Int
    /// The `From:` header, `Name <address>` or a bare address.
    public var from: String
    /// Upgrade the connection with STARTTLS before AUTH (required when set).
    public var starttls: Bool
    public var username: String?
    public var password: Secret?
    /// PEM file of a private CA to trust for STARTTLS (tests, internal relays).
    public var caFile: String?
    /// The name sent with EHLO.
    public var heloName: String

    public init(
        host: String, port: Int, from: String, starttls: Bool = false, username: String? = nil,
        password: Secret? = nil, caFile: String? = nil, heloName: String = "tidewater.localhost"
    ) {
        self.host = host
        self.port = port
        self.from = from
        self.starttls = starttls
        self.username = username
        self.password = password
        self.caFile = caFile
        self.heloName = heloName
    }
}

/// `providers.sms.twilio`.
public struct TwilioSettings: Sendable {
    public var baseURL: String
    public var accountSid: String
    public var authToken: Secret
    public var from: String

    public init(baseURL: String, accountSid: String, authToken: Secret, from: String) {
        self.baseURL = baseURL
        self.accountSid = accountSid
        self.authToken = authToken
        self.from = from
    }
}

/// `providers.push.fcm`: the service account's fields that the JWT bearer grant needs.
public struct FCMSettings: Sendable {
    public var baseURL: String
    public var projectId: String
    public var clientEmail: String
    /// The service account's RSA private key, PEM (PKCS#8).
    public var privateKeyPEM: Secret
    public var tokenURI: String

    public init(baseURL: String, projectId: String, clientEmail: String, privateKeyPEM: Secret, tokenURI: String) {
        self.baseURL = baseURL
        self.projectId = projectId
        self.clientEmail = clientEmail
        self.privateKeyPEM = privateKeyPEM
        self.tokenURI = tokenURI
    }
}

/// `providers.push.apns`.
public struct APNsSettings: Sendable {
    public var baseURL: String
    public var teamId: String
    public var keyId: String
    /// The `.p8` signing key (P-256, PEM).
    public var keyPEM: Secret
    /// The app's bundle id (`apns-topic`).
    public var topic: String
    /// PEM file of a private CA to trust (tests, proxies).
    public var caFile: String?

    public init(baseURL: String, teamId: String, keyId: String, keyPEM: Secret, topic: String, caFile: String? = nil) {
        self.baseURL = baseURL
        self.teamId = teamId
        self.keyId = keyId
        self.keyPEM = keyPEM
        self.topic = topic
        self.caFile = caFile
    }
}

/// `providers.webhook`.
public struct WebhookSettings: Sendable {
    public var secret: Secret
    /// URL prefixes a `WEBHOOK` endpoint's address must start with.
    public var allow: [String]

    public init(secret: Secret, allow: [String]) {
        self.secret = secret
        self.allow = allow
    }
}
