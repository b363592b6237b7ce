import Foundation
import TideCrypto

/// How ``IdentityService`` issues and checks credentials. The defaults are the production ones.
public struct IdentityConfiguration: Sendable {
    /// The `iss` of every access token, and the only one accepted.
    public var issuer: String = "tidewater"
    /// Access-token lifetime (`expiresIn`), in seconds.
    public var accessTokenLifetimeSeconds: Int = 15 * 60
    /// Lifetime of each refresh token, in seconds; every refresh issues a new one.
    public var refreshTokenLifetimeSeconds: Int = 30 * 86_400
    /// Clock skew tolerated on access-token times, in seconds.
    public var leewaySeconds: Int = 30
    /// Argon2id limits and the minimum password length.
    public var passwordHasher: PasswordHasher = .interactive
    /// Hashings run at once (each takes `passwordHasher.memLimit` bytes, 64 MiB by default).
    public var passwordHashingConcurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Verified access tokens remembered, so a repeated token skips the signature check.
    public var tokenCacheCapacity: Int = 10_000
    /// How often, at most, the hot path asks the database whether another process (the admin CLI)
    /// changed signing keys or API keys. Bounds how long a revocation takes to apply.
    public var reloadInterval: Duration = .seconds(1)
    /// The clock for token times and expiries (injectable for tests).
    public var now: @Sendable () -> Date = { Date() }

    public init() {}
}
