import TideModel

/// Who an acknowledged realtime connection acts for: set at `connection_init`, replaced when an
/// administrator changes the user's groups while the socket is open.
///
/// A class, not a struct: every feed entry is checked against it on every connection, and a
/// reference is one retain where copying the values would be one per field.
final class RealtimeCaller: Sendable {
    let principal: Principal
    /// Epoch seconds from which the access token is refused; nil for API keys and anonymous callers.
    let expiresAt: Int64?
    /// The key of the per-caller connection limit and of the rate limit.
    let key: String
    /// An API key can be revoked (or run out) while the socket is open: it is checked again at
    /// every keepalive and whenever the identity database changes. A bearer token cannot change
    /// before its `exp`, which has a timer; its user can be removed or regrouped
    /// (``CredentialWatcher``).
    let apiKey: RequestCredentials?

    init(principal: Principal, expiresAt: Int64?, key: String, apiKey: RequestCredentials?) {
        self.principal = principal
        self.expiresAt = expiresAt
        self.key = key
        self.apiKey = apiKey
    }

    /// Whether the credentials have run out at `now` (epoch seconds).
    func isExpired(at now: Int64) -> Bool {
        guard let expiresAt else { return false }
        return now >= expiresAt
    }
}
