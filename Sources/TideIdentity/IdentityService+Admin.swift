import Foundation

/// User administration: the `tidewater users …` commands.
extension IdentityService {
    /// Creates a user with an initial password and groups (`users add`); returns its id.
    /// Validation and errors as for ``signUp(username:password:email:phone:)``.
    public func addUser(
        username: String, password: String, groups: [String] = [], email: String? = nil, phone: String? = nil
    ) async throws(IdentityError) -> String {
        try await createUser(username: username, password: password, groups: groups, email: email, phone: phone)
    }

    /// Every user by username, without password hashes.
    public func users() throws(IdentityError) -> [UserSummary] {
        try storage(store.users()).map {
            UserSummary(id: $0.id, username: $0.username, email: $0.email, phone: $0.phone, groups: $0.groups, createdAt: $0.createdAt)
        }
    }

    /// Deletes a user with its groups and sessions: it can no longer log in or refresh. Its access
    /// tokens stay valid until they expire (at most the access-token lifetime).
    public func removeUser(username: String) throws(IdentityError) {
        let user = try existingUser(username)
        try storage(store.deleteUser(id: user.id))
        logger.notice("user removed", metadata: ["userId": "\(user.id)"])
    }

    /// Adds the user to a group; its tokens carry it from the next login or refresh. Idempotent.
    public func addToGroup(username: String, group: String) throws(IdentityError) {
        try CredentialRules.checkGroup(group)
        let user = try existingUser(username)
        try storage(store.addGroup(userID: user.id, group: group))
        logger.notice("user added to group", metadata: ["userId": "\(user.id)", "group": "\(group)"])
    }

    /// Removes the user from a group; its tokens lose it from the next login or refresh.
    /// Idempotent.
    public func removeFromGroup(username: String, group: String) throws(IdentityError) {
        let user = try existingUser(username)
        try storage(store.removeGroup(userID: user.id, group: group))
        logger.notice("user removed from group", metadata: ["userId": "\(user.id)", "group": "\(group)"])
    }

    /// Replaces the password and revokes every session of the user (other devices must log in
    /// again).
    public func setPassword(username: String, password: String) async throws(IdentityError) {
        let user = try existingUser(username)
        try await passwordWork.run { [self] () throws(IdentityError) in
            let newHash = try hash(password)
            try storage(store.updatePasswordHash(userID: user.id, hash: newHash, revokingSessionsAt: configuration.now()))
        }
        logger.notice("password set; sessions revoked", metadata: ["userId": "\(user.id)"])
    }

    private func existingUser(_ username: String) throws(IdentityError) -> IdentityUser {
        guard let user = try storage(store.user(username: username)) else { throw .notFound("user '\(username)'") }
        return user
    }
}
