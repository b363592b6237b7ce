import Foundation
import TideCrypto
import TideSQLite

extension IdentityService {
    /// Creates an account (`POST /auth/signup`) and returns its user id.
    ///
    /// - Throws: ``IdentityError/invalidInput(_:)`` for a malformed username (see the rules in
    ///   `docs/IDENTITY.md`), a password shorter than the hasher's minimum, or a malformed email or
    ///   phone; ``IdentityError/usernameTaken`` when the name exists in any letter case.
    public func signUp(username: String, password: String, email: String? = nil, phone: String? = nil) async throws(IdentityError) -> String {
        try await createUser(username: username, password: password, groups: [], email: email, phone: phone)
    }

    /// Checks a password and starts a session (`POST /auth/login`): a new access token and the
    /// first refresh token of a new family.
    ///
    /// An unknown username costs the same Argon2id work as a wrong password and throws the same
    /// ``IdentityError/invalidCredentials``, so neither the answer nor its timing tells which
    /// usernames exist. A hash made with older limits is replaced after a successful check.
    public func logIn(username: String, password: String) async throws(IdentityError) -> TokenPair {
        try await passwordWork.run { [self] () throws(IdentityError) -> TokenPair in
            let hasher = configuration.passwordHasher
            guard let user = try storage(store.user(username: username)) else {
                hasher.verifyDummy(password)
                throw .invalidCredentials
            }
            guard hasher.verify(password, against: user.passwordHash) else {
                logger.info("login failed: wrong password", metadata: ["userId": "\(user.id)"])
                throw .invalidCredentials
            }
            if hasher.needsRehash(user.passwordHash) { upgradeHash(of: user, password: password) }
            let now = configuration.now()
            pruneExpiredSessionsIfDue(now: now)
            let (refreshToken, hash) = OpaqueToken.generate()
            let session = IdentitySession(
                tokenHash: hash, familyID: UUID().uuidString.lowercased(), userID: user.id, createdAt: now,
                expiresAt: now.addingTimeInterval(TimeInterval(configuration.refreshTokenLifetimeSeconds)))
            try storage(store.insertSession(session))
            logger.info("logged in", metadata: ["userId": "\(user.id)"])
            return TokenPair(
                accessToken: accessToken(for: user, now: now), refreshToken: refreshToken,
                expiresIn: configuration.accessTokenLifetimeSeconds)
        }
    }

    /// Trades a refresh token for a new pair (`POST /auth/refresh`). The presented token is used
    /// up; the new access token carries the user's groups as they are now.
    ///
    /// Presenting a token that was already used means two parties hold it (one of them stole it):
    /// the whole family, including the newest token, is revoked and this call fails.
    ///
    /// - Throws: ``IdentityError/invalidRefreshToken`` for an unknown, expired, revoked or reused
    ///   token, or when the user has been removed.
    public func refresh(refreshToken: String) async throws(IdentityError) -> TokenPair {
        try await databaseWork.run { [self] () throws(IdentityError) -> TokenPair in
            let now = configuration.now()
            let (newToken, newHash) = OpaqueToken.generate()
            let rotation = try storage(
                store.rotateSession(
                    presentedHash: OpaqueToken.hash(refreshToken), replacementHash: newHash, now: now,
                    expiresAt: now.addingTimeInterval(TimeInterval(configuration.refreshTokenLifetimeSeconds))))
            switch rotation {
            case .rejected:
                throw .invalidRefreshToken
            case .reused(let userID, let familyID):
                logger.warning(
                    "refresh token reused: revoked its session family", metadata: ["userId": "\(userID)", "familyId": "\(familyID)"])
                throw .invalidRefreshToken
            case .rotated(let userID):
                guard let user = try storage(store.user(id: userID)) else { throw .invalidRefreshToken }
                return TokenPair(
                    accessToken: accessToken(for: user, now: now), refreshToken: newToken,
                    expiresIn: configuration.accessTokenLifetimeSeconds)
            }
        }
    }

    /// Ends the session the refresh token belongs to (`POST /auth/logout`): every token of its
    /// family is revoked. Access tokens already issued stay valid until they expire.
    ///
    /// - Throws: ``IdentityError/invalidRefreshToken`` when the token was never issued.
    public func logOut(refreshToken: String) async throws(IdentityError) {
        try await databaseWork.run { [self] () throws(IdentityError) in
            let revoked = try storage(store.revokeFamily(containing: OpaqueToken.hash(refreshToken), at: configuration.now()))
            guard let userID = revoked else { throw .invalidRefreshToken }
            logger.info("logged out", metadata: ["userId": "\(userID)"])
        }
    }

    /// Validates and stores a new user (sign-up and `users add`).
    func createUser(username: String, password: String, groups: [String], email: String?, phone: String?) async throws(IdentityError) -> String {
        try CredentialRules.checkUsername(username)
        for group in groups { try CredentialRules.checkGroup(group) }
        if let email { try CredentialRules.checkEmail(email) }
        if let phone { try CredentialRules.checkPhone(phone) }
        return try await passwordWork.run { [self] () throws(IdentityError) -> String in
            let user = IdentityUser(
                id: UUID().uuidString.lowercased(), username: username, passwordHash: try hash(password), email: email,
                phone: phone, createdAt: configuration.now(), groups: Array(Set(groups)).sorted())
            guard try storage(store.createUser(user)) else { throw .usernameTaken }
            logger.info("user created", metadata: ["userId": "\(user.id)"])
            return user.id
        }
    }

    /// A new Argon2id hash; the length rules become ``IdentityError/invalidInput(_:)``.
    func hash(_ password: String) throws(IdentityError) -> String {
        do throws(PasswordError) {
            return try configuration.passwordHasher.hash(password)
        } catch .hashingFailed {
            throw .storage("the password could not be hashed")
        } catch {
            throw .invalidInput(error.description)
        }
    }

    /// Stores a hash with the current limits after a successful login with an older one. A failure
    /// (e.g. the password is shorter than a since-raised minimum) keeps the old hash: the login
    /// itself already succeeded.
    private func upgradeHash(of user: IdentityUser, password: String) {
        do throws(IdentityError) {
            let newHash = try hash(password)
            try storage(store.updatePasswordHash(userID: user.id, hash: newHash))
            logger.info("upgraded password hash", metadata: ["userId": "\(user.id)"])
        } catch {
            logger.warning("could not upgrade password hash", metadata: ["userId": "\(user.id)", "error": "\(error)"])
        }
    }

    /// Deletes sessions that have expired, at most once an hour (from the login path, which adds
    /// them). Failures only log: nothing depends on the deletion.
    private func pruneExpiredSessionsIfDue(now: Date) {
        let nowSeconds = Int64(now.timeIntervalSince1970)
        let due = nextSessionPrune.load(ordering: .relaxed)
        guard nowSeconds >= due,
            nextSessionPrune.compareExchange(expected: due, desired: nowSeconds + 3600, ordering: .relaxed).exchanged
        else { return }
        do throws(SQLiteError) {
            let deleted = try store.deleteSessions(expiredBefore: now)
            if deleted > 0 { logger.info("deleted expired sessions", metadata: ["count": "\(deleted)"]) }
        } catch {
            logger.warning("could not delete expired sessions", metadata: ["error": "\(error)"])
        }
    }
}
