import TideNotifications

/// The providers a rules file configures, built once at start-up; the sender looks one up per
/// delivery by channel (and platform for push).
///
/// ```swift
/// let providers = try ProviderSet(configuration.providers)
/// let outcome = await providers.provider(for: .push, platform: .apns)?.send(delivery)
/// ```
public struct ProviderSet: Sendable {
    private let push: [PushPlatform: any NotificationProvider]
    private let channels: [NotificationChannel: any NotificationProvider]

    /// Builds the clients; a key that does not load (an RSA or P-256 key, a CA file) is an error
    /// naming the provider.
    public init(_ settings: ProviderSettings) throws(ProviderSetupError) {
        var push: [PushPlatform: any NotificationProvider] = [:]
        var channels: [NotificationChannel: any NotificationProvider] = [:]
        func build(_ name: String, _ make: () throws -> any NotificationProvider) throws(ProviderSetupError) -> any NotificationProvider {
            do { return try make() } catch { throw ProviderSetupError(provider: name, reason: "\(error)") }
        }
        if let fcm = settings.fcm { push[.fcm] = try build("providers.push.fcm") { try FCMProvider(settings: fcm) } }
        if let apns = settings.apns { push[.apns] = try build("providers.push.apns") { try APNsProvider(settings: apns) } }
        if let smtp = settings.smtp { channels[.email] = try build("providers.email.smtp") { try SMTPProvider(settings: smtp) } }
        if let twilio = settings.twilio { channels[.sms] = try build("providers.sms.twilio") { try TwilioProvider(settings: twilio) } }
        if let webhook = settings.webhook { channels[.webhook] = try build("providers.webhook") { try WebhookProvider(settings: webhook) } }
        self.push = push
        self.channels = channels
    }

    public func provider(for channel: NotificationChannel, platform: PushPlatform? = nil) -> (any NotificationProvider)? {
        channel == .push ? platform.flatMap { push[$0] } : channels[channel]
    }

    public func shutdown() async {
        for provider in Array(push.values) + Array(channels.values) { await provider.shutdown() }
    }
}

/// A provider whose credentials or CA file cannot be used.
public struct ProviderSetupError: Error, Sendable, CustomStringConvertible {
    public var provider: String
    public var reason: String
    public var description: String { "\(provider): \(reason)" }
}

extension ProviderSet: ProviderDirectory {}
