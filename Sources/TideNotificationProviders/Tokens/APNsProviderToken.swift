import Crypto
import Foundation
import TideNotifications

/// The APNs provider authentication token: ES256 over `{"iss": teamId, "iat": …}` with
/// `kid` = keyId. Apple refuses tokens older than an hour and too frequent new ones, so one
/// token is reused for 50 minutes.
actor APNsProviderToken {
    static let lifetime: TimeInterval = 50 * 60

    private let teamId: String
    private let keyId: String
    private let key: P256.Signing.PrivateKey
    private let now: @Sendable () -> Date
    private var cached: (token: String, issued: Date)?

    init(settings: APNsSettings, now: @escaping @Sendable () -> Date = Date.init) throws {
        teamId = settings.teamId
        keyId = settings.keyId
        key = try P256.Signing.PrivateKey(pemRepresentation: settings.keyPEM.value)
        self.now = now
    }

    func token() throws -> String {
        let date = now()
        if let cached, date.timeIntervalSince(cached.issued) < Self.lifetime { return cached.token }
        let token = try JWT.sign(
            header: ["kid": .string(keyId)], claims: ["iss": .string(teamId), "iat": .int(Int64(date.timeIntervalSince1970))],
            key: .es256(key))
        cached = (token, date)
        return token
    }

    /// Forgets the token (APNs answered ExpiredProviderToken or InvalidProviderToken).
    func invalidate() { cached = nil }
}
