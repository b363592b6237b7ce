import Foundation
import Logging
import Synchronization
import TideCrypto

/// The signing keys and API keys the request hot path needs, held as an immutable snapshot of the
/// identity database and reloaded when another process (the admin CLI) changed it.
///
/// Change detection is SQLite's `PRAGMA data_version`, asked at most once per
/// `reloadInterval` by whichever request comes first: a rotation or revocation made by the CLI
/// applies within about that interval, and between checks the hot path takes one short lock.
/// This process's own changes call ``reload()`` directly (they do not move `data_version`).
final class KeyRing: Sendable {
    /// A public key as published in the JWKS.
    struct PublishedKey: Sendable {
        let publicKey: PublicKey
        /// `nil` for the current key.
        let retiredAt: Date?

        /// Whether tokens it signed may still be live at `now`: current, or retired less than an
        /// access-token lifetime plus the leeway ago. Only then is it published and trusted.
        func isLive(at now: Date, configuration: IdentityConfiguration) -> Bool {
            guard let retiredAt else { return true }
            let window = TimeInterval(configuration.accessTokenLifetimeSeconds + configuration.leewaySeconds)
            return retiredAt.addingTimeInterval(window) > now
        }
    }

    struct Snapshot: Sendable {
        /// Signs new access tokens with the current key.
        let signer: AccessTokenSigner
        /// The current key, then retired ones, most recently retired first.
        let keys: [PublishedKey]
        /// Accepts tokens of the current key and of retired keys whose tokens may still be live.
        let verifier: AccessTokenVerifier
        /// Unrevoked API keys by id.
        let apiKeys: [String: IdentityAPIKey]
    }

    private struct State: Sendable {
        var snapshot: Snapshot
        var dataVersion: Int64
        var nextCheck: ContinuousClock.Instant
        var nextForcedCheck = ContinuousClock.now
    }

    /// How often a lookup miss may force a check for outside changes.
    static let forcedCheckInterval: Duration = .milliseconds(100)

    private let store: IdentityStore
    private let configuration: IdentityConfiguration
    private let logger: Logger
    private let state: Mutex<State>

    /// Loads the keys, first creating a signing key if the folder has none.
    init(store: IdentityStore, configuration: IdentityConfiguration, logger: Logger) throws(IdentityError) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
        let existing = try storage(store.signingKeys())
        if !existing.contains(where: { $0.retiredAt == nil }) {
            let key = SigningKey.generate()
            let created = try storage(store.insertSigningKeyIfNone(Self.stored(key, createdAt: configuration.now())))
            if created { logger.notice("created the access-token signing key", metadata: ["kid": "\(key.kid)"]) }
        }
        state = Mutex(try Self.load(store: store, configuration: configuration))
    }

    /// The current snapshot; first reloads it if the check interval has passed and the database
    /// changed.
    var snapshot: Snapshot {
        let (snapshot, due) = state.withLock { state in
            let now = ContinuousClock.now
            guard now >= state.nextCheck else { return (state.snapshot, false) }
            state.nextCheck = now + configuration.reloadInterval
            return (state.snapshot, true)
        }
        guard due else { return snapshot }
        return reloadIfChanged() ?? snapshot
    }

    /// The snapshot after checking for outside changes now rather than at the next interval,
    /// for a lookup that missed (an API key the CLI may have created a moment ago). Throttled,
    /// so a flood of unknown keys costs one `data_version` read per `forcedCheckInterval`.
    var freshSnapshot: Snapshot {
        let (snapshot, due) = state.withLock { state in
            let now = ContinuousClock.now
            guard now >= state.nextForcedCheck else { return (state.snapshot, false) }
            state.nextForcedCheck = now + Self.forcedCheckInterval
            return (state.snapshot, true)
        }
        guard due else { return snapshot }
        return reloadIfChanged() ?? snapshot
    }

    /// Rereads everything now (after this process changed keys).
    func reload() throws(IdentityError) {
        let loaded = try Self.load(store: store, configuration: configuration)
        state.withLock { $0 = loaded }
    }

    /// The fresh snapshot when the database changed since the last load; nil when it did not
    /// (or could not be read: the old snapshot stays in use, and the failure is logged).
    private func reloadIfChanged() -> Snapshot? {
        do throws(IdentityError) {
            let version = try storage(store.dataVersion())
            guard version != state.withLock({ $0.dataVersion }) else { return nil }
            try reload()
            logger.info("reloaded signing keys and API keys after an outside change")
            return state.withLock { $0.snapshot }
        } catch {
            logger.error("could not reload signing keys and API keys", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// One consistent read. `data_version` is read first, so a change committed while loading
    /// shows as a new version at the next check rather than being missed.
    private static func load(store: IdentityStore, configuration: IdentityConfiguration) throws(IdentityError) -> State {
        let version = try storage(store.dataVersion())
        let stored = try storage(store.signingKeys())
        let apiKeys = try storage(store.apiKeys())

        var published: [PublishedKey] = []
        var current: SigningKey?
        for row in stored {
            guard let bytes = Base64URL.decode(row.secretKey), let key = try? SigningKey(secretKeyBytes: bytes), key.kid == row.kid
            else { throw .storage("signing key \(row.kid) is corrupt") }
            if row.retiredAt == nil, current == nil { current = key }
            published.append(PublishedKey(publicKey: key.publicKey, retiredAt: row.retiredAt))
        }
        guard let current else { throw .storage("no current signing key") }
        let now = configuration.now()
        let verifier = AccessTokenVerifier(
            keys: published.filter { $0.isLive(at: now, configuration: configuration) }.map(\.publicKey),
            issuer: configuration.issuer, leewaySeconds: configuration.leewaySeconds)
        let snapshot = Snapshot(
            signer: AccessTokenSigner(key: current), keys: published, verifier: verifier,
            apiKeys: Dictionary(
                apiKeys.filter { $0.revokedAt == nil }.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }))
        return State(snapshot: snapshot, dataVersion: version, nextCheck: ContinuousClock.now + configuration.reloadInterval)
    }

    /// A key as the store keeps it: the 64-byte secret in base64url.
    static func stored(_ key: SigningKey, createdAt: Date) -> IdentitySigningKey {
        IdentitySigningKey(kid: key.kid, secretKey: Base64URL.encode(key.secretKeyBytes), createdAt: createdAt)
    }
}
