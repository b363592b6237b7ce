import Foundation
import Logging
import Synchronization
import TideCrypto
import TideModel

/// Sign-up, login, refresh-token sessions, access-token verification, API keys and the admin
/// operations of the `tidewater users|apikeys|keys` commands, over an ``IdentityStore``.
///
/// Access tokens are EdDSA JWTs (claims `sub`, `username`, `groups`, `iat`, `exp`, `iss`) signed
/// with the current key; refresh tokens are opaque, single use and rotate on every refresh, and a
/// reused one revokes its whole family. Passwords are Argon2id. Nothing here logs a password,
/// token, key or hash: log metadata carries ids only.
///
/// ```swift
/// let identity = try IdentityService(dataDirectory: "tidewater-data")
/// let userID = try await identity.signUp(username: "alice", password: "correct horse")
/// let pair = try await identity.logIn(username: "alice", password: "correct horse")
/// let principal = try identity.authenticate(bearer: pair.accessToken)   // per request
/// ```
public final class IdentityService: Sendable {
    public let configuration: IdentityConfiguration
    let store: IdentityStore
    let keyRing: KeyRing
    let tokenCache: TokenCache
    /// Argon2id hashing and the database work of the same request.
    let passwordWork: BlockingWorkers
    /// Database-only work (refresh, logout): one queue, since the store serializes anyway.
    let databaseWork: BlockingWorkers
    /// When expired sessions are next deleted (epoch seconds).
    let nextSessionPrune = Atomic<Int64>(0)
    let logger: Logger

    /// Opens `<dataDirectory>/identity.sqlite`, creating it and a signing key on first start.
    public convenience init(
        dataDirectory: String, configuration: IdentityConfiguration = IdentityConfiguration(),
        logger: Logger = Logger(label: "tidewater.identity")
    ) throws(IdentityError) {
        let store = try storage(IdentityStore(directory: dataDirectory, logger: logger))
        try self.init(store: store, configuration: configuration, logger: logger)
    }

    /// Works over an open store, creating a signing key if it has none.
    public init(store: IdentityStore, configuration: IdentityConfiguration = IdentityConfiguration(), logger: Logger) throws(IdentityError) {
        self.configuration = configuration
        self.store = store
        self.logger = logger
        keyRing = try KeyRing(store: store, configuration: configuration, logger: logger)
        tokenCache = TokenCache(capacity: configuration.tokenCacheCapacity)
        passwordWork = BlockingWorkers(label: "tidewater.identity.password", count: configuration.passwordHashingConcurrency)
        databaseWork = BlockingWorkers(label: "tidewater.identity.database", count: 1)
    }

    /// Closes the database. Idempotent; later calls that need it throw ``IdentityError/storage(_:)``.
    public func close() {
        store.close()
    }

    /// The body of `GET /.well-known/jwks.json`: the current public key and every retired one whose
    /// tokens may still be live (retired less than an access-token lifetime plus leeway ago).
    public func jwks() -> [UInt8] {
        let now = configuration.now()
        let live = keyRing.snapshot.keys.filter { $0.isLive(at: now, configuration: configuration) }
        return PublicKey.jwks(live.map(\.publicKey)).jsonBytes
    }

    /// Makes a new current signing key and retires the old one, which stays published (and its
    /// tokens valid) until every token it signed has expired. Returns the new key id.
    ///
    /// A server running on the same folder in another process picks the new key up within
    /// ``IdentityConfiguration/reloadInterval``.
    @discardableResult
    public func rotateSigningKey() throws(IdentityError) -> String {
        let key = SigningKey.generate()
        try storage(store.rotateSigningKey(to: KeyRing.stored(key, createdAt: configuration.now())))
        try keyRing.reload()
        logger.notice("rotated the access-token signing key", metadata: ["kid": "\(key.kid)"])
        return key.kid
    }

    /// A new access token for `user` with its current groups, signed with the current key.
    func accessToken(for user: IdentityUser, now: Date) -> String {
        let claims = AccessTokenClaims(
            sub: user.id, username: user.username, groups: user.groups, issuer: configuration.issuer, issuedAt: now,
            lifetime: configuration.accessTokenLifetimeSeconds, groupsChangedAt: user.groupsChangedAt)
        return keyRing.snapshot.signer.sign(claims)
    }
}
