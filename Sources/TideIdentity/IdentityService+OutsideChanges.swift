import TideModel

/// What a server holding long-lived credentials (WebSocket connections) needs to follow changes
/// the admin CLI makes from another process: an API key revoked, a user removed, a group removed.
extension IdentityService {
    /// A number that moves whenever another process commits to the identity database (SQLite's
    /// `data_version`), and not for this process's own writes. One pragma: cheap enough to ask
    /// a few times a second. On a change, call ``reloadKeys()`` and check again what is held.
    ///
    /// ```swift
    /// let version = try identity.outsideChangeVersion()
    /// if version != lastVersion { try identity.reloadKeys(); recheckOpenConnections() }
    /// ```
    public func outsideChangeVersion() throws(IdentityError) -> Int64 {
        try storage(store.dataVersion())
    }

    /// Rereads the signing keys and API keys now, so that a key revoked by another process is
    /// refused at once rather than within ``IdentityConfiguration/reloadInterval``.
    public func reloadKeys() throws(IdentityError) {
        try keyRing.reload()
    }

    /// The user with this id as the database holds it now (its current groups); nil once it has
    /// been removed. Access tokens keep the groups of their login until they expire; a caller
    /// that holds on to a token (a WebSocket connection) asks this to act with the current ones.
    public func currentUser(id: String) throws(IdentityError) -> UserIdentity? {
        guard let user = try storage(store.user(id: id)) else { return nil }
        return UserIdentity(id: user.id, username: user.username, groups: user.groups, groupsChangedAt: user.groupsChangedAt)
    }
}
