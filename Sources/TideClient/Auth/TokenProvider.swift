import Foundation

/// Hands out a valid access token, refreshing it before it expires (ARCHITECTURE §9.1).
///
/// Refresh tokens rotate and a reused one revokes the session, so a refresh runs once at a time
/// in this process (the actor) and across processes (the store's exclusive access): inside, it
/// re-reads the stored session, and when another process has refreshed meanwhile it takes that
/// session instead of spending a token that is already spent. The new session is saved before
/// its token is used.
actor TokenProvider {
    /// Refresh this long before the access token expires.
    static let margin = 60.0

    private let store: any SessionStore
    private let auth: AuthAPI
    private(set) var session: Session
    private let now: @Sendable () -> Double

    init(session: Session, store: any SessionStore, auth: AuthAPI, now: @escaping @Sendable () -> Double) {
        self.session = session
        self.store = store
        self.auth = auth
        self.now = now
    }

    /// A token valid for at least ``margin`` seconds (when the server gives tokens that long).
    func accessToken() async throws(TideClientError) -> String {
        if session.accessTokenExpiresAt - now() > Self.margin { return session.accessToken }
        try await refresh(rejected: nil)
        return session.accessToken
    }

    /// After a 401 for `token`: a new token (unless another caller has already replaced it).
    func tokenAfterRejection(of token: String) async throws(TideClientError) -> String {
        if session.accessToken != token { return session.accessToken }
        try await refresh(rejected: token)
        return session.accessToken
    }

    /// Seconds until the token needs refreshing: when a long-lived connection should renew it.
    var secondsUntilRefresh: Double { max(0, session.accessTokenExpiresAt - now() - Self.margin) }

    private func refresh(rejected: String?) async throws(TideClientError) {
        let store = self.store
        let auth = self.auth
        let current = session
        let clock = now
        let margin = Self.margin
        do {
            session = try await store.withExclusiveAccess { () async throws -> Session in
                let stored = try store.load()
                guard let stored, stored.userID == current.userID, stored.server == current.server else {
                    throw TideClientError.notSignedIn
                }
                // Another process (or an earlier call) refreshed meanwhile: use its tokens.
                if stored.refreshToken != current.refreshToken, stored.accessToken != rejected,
                    stored.accessTokenExpiresAt - clock() > margin
                {
                    return stored
                }
                let tokens = try await auth.refresh(stored.refreshToken)
                var renewed = try Session(server: stored.server, tokens: tokens, now: clock())
                renewed.username = stored.username
                try store.save(renewed)
                return renewed
            }
        } catch let error as TideClientError {
            throw error
        } catch {
            throw .localStore("\(error)")
        }
    }
}
