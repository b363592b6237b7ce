import Foundation

/// Checks the address of an endpoint a user registers (`registerEndpoint`), so that a provider
/// is never asked to send to something it cannot take, and the server never requests an
/// arbitrary URL.
public enum EndpointAddress {
    /// APNs device tokens: hex, 32 bytes today; Apple allows them to grow (up to 100 bytes).
    static let apnsHexLength = 64...200
    /// FCM registration tokens: about 160 URL-safe characters today, with room to grow.
    static let fcmLength = 32...4096
    /// Webhook URLs, as most HTTP software takes them.
    static let maxURLBytes = 2048

    /// Why `address` cannot be used for `channel`, or nil when it can.
    public static func problem(
        channel: NotificationChannel, platform: PushPlatform?, address: String, webhookAllow: [String]
    ) -> String? {
        switch channel {
        case .push:
            switch platform {
            case nil:
                return "a PUSH endpoint needs a platform (APNS or FCM)"
            case .apns:
                let hex = address.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
                guard hex, address.count % 2 == 0, apnsHexLength.contains(address.count) else {
                    return "an APNs device token is \(apnsHexLength.lowerBound) to \(apnsHexLength.upperBound) hexadecimal digits"
                }
            case .fcm:
                let allowed = address.utf8.allSatisfy {
                    (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
                        || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ":")
                }
                guard allowed, fcmLength.contains(address.count) else {
                    return "an FCM registration token is \(fcmLength.lowerBound) to \(fcmLength.upperBound) characters of A-Z a-z 0-9 - _ :"
                }
            }
        case .email:
            guard EmailAddress.isValid(address) else { return "not an email address (RFC 5321 mailbox)" }
        case .sms:
            guard PhoneNumber.isE164(address) else { return "not an E.164 phone number (+ then 8 to 15 digits)" }
        case .webhook:
            guard webhookAllow.contains(where: { address.hasPrefix($0) }) else {
                return webhookAllow.isEmpty
                    ? "webhooks are not enabled (providers.webhook.allow is empty)"
                    : "a webhook URL must start with one of: \(webhookAllow.joined(separator: ", "))"
            }
            guard address.utf8.count <= maxURLBytes, URL(string: address)?.host != nil else {
                return "not a URL of at most \(maxURLBytes) bytes"
            }
        }
        if channel != .push, platform != nil { return "platform applies to PUSH endpoints only" }
        return nil
    }
}
