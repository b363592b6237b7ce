import Foundation

/// API-key administration: the `tidewater apikeys …` commands.
extension IdentityService {
    /// Creates an API key (`apikeys create`). The returned ``NewAPIKey/key`` is the only time the
    /// secret exists outside the client: only its hash is stored.
    ///
    /// - Parameter expiresIn: lifetime from now; `nil` for a key that never expires.
    public func createAPIKey(name: String, expiresIn: Duration? = nil) throws(IdentityError) -> NewAPIKey {
        try CredentialRules.checkAPIKeyName(name)
        if let expiresIn, expiresIn <= .zero { throw .invalidInput("an API key's lifetime must be positive") }
        let now = configuration.now()
        let (id, key, secretHash) = APIKeyFormat.generate()
        let stored = IdentityAPIKey(
            id: id, secretHash: secretHash, name: name, createdAt: now,
            expiresAt: expiresIn.map { now.addingTimeInterval(TimeInterval($0.components.seconds)) })
        try storage(store.insertAPIKey(stored))
        try keyRing.reload()
        logger.notice("API key created", metadata: ["apiKeyId": "\(id)"])
        return NewAPIKey(key: key, summary: Self.summary(stored))
    }

    /// Every API key, oldest first, revoked ones included; never secrets.
    public func apiKeys() throws(IdentityError) -> [APIKeySummary] {
        try storage(store.apiKeys()).map(Self.summary)
    }

    /// Revokes a key by id (`apikeys revoke`). A server running on the same folder in another
    /// process stops accepting it within ``IdentityConfiguration/reloadInterval``. Idempotent.
    public func revokeAPIKey(id: String) throws(IdentityError) {
        guard try storage(store.revokeAPIKey(id: id, at: configuration.now())) else { throw .notFound("API key '\(id)'") }
        try keyRing.reload()
        logger.notice("API key revoked", metadata: ["apiKeyId": "\(id)"])
    }

    private static func summary(_ key: IdentityAPIKey) -> APIKeySummary {
        APIKeySummary(id: key.id, name: key.name, createdAt: key.createdAt, expiresAt: key.expiresAt, revokedAt: key.revokedAt)
    }
}
