import Foundation
import TideSQLite

extension IdentityStore {
    /// Stores the first token of a new family (at login).
    public func insertSession(_ session: IdentitySession) throws(SQLiteError) {
        try read { connection throws(SQLiteError) in try Self.insert(session, connection) }
    }

    /// Refresh-token rotation as one transaction, so two requests racing with the same token cannot
    /// both succeed, and a family revoked by one cannot gain a live token from the other.
    ///
    /// - A live token (unused, unrevoked, not expired at `now`) is marked used and a token with
    ///   `replacementHash`, created `now` and expiring at `expiresAt`, is stored in its family:
    ///   `.rotated`.
    /// - An already used token means it was copied: every token of its family is revoked and no
    ///   replacement is stored: `.reused`.
    /// - Anything else (unknown, revoked, expired, user removed): `.rejected`, nothing changes.
    public func rotateSession(
        presentedHash: String, replacementHash: String, now: Date, expiresAt: Date
    ) throws(SQLiteError) -> SessionRotation {
        try write { connection throws(SQLiteError) in
            let nowMS = StoredTime.milliseconds(now)
            let found = try connection.queryFirst(
                """
                SELECT "family_id", "user_id", "expires_at", "used_at" IS NOT NULL, "revoked_at" IS NOT NULL \
                FROM "sessions" WHERE "token_hash" = ?
                """,
                [.text(presentedHash)]
            ) { (family: $0.text(0), user: $0.text(1), expires: $0.int64(2), used: $0.int64(3) != 0, revoked: $0.int64(4) != 0) }
            guard let found, !found.revoked else { return .rejected }
            if found.used {
                try Self.revokeFamily(found.family, at: nowMS, connection)
                return .reused(userID: found.user, familyID: found.family)
            }
            guard found.expires > nowMS else { return .rejected }
            try connection.run("UPDATE \"sessions\" SET \"used_at\" = ? WHERE \"token_hash\" = ?", [.int(nowMS), .text(presentedHash)])
            let next = IdentitySession(
                tokenHash: replacementHash, familyID: found.family, userID: found.user, createdAt: now, expiresAt: expiresAt)
            try Self.insert(next, connection)
            return .rotated(userID: found.user)
        }
    }

    /// Revokes every token of the family the token belongs to (logout). Returns the user id, or
    /// nil when the token is unknown.
    @discardableResult
    public func revokeFamily(containing tokenHash: String, at now: Date) throws(SQLiteError) -> String? {
        try write { connection throws(SQLiteError) in
            let found = try connection.queryFirst(
                "SELECT \"family_id\", \"user_id\" FROM \"sessions\" WHERE \"token_hash\" = ?", [.text(tokenHash)]
            ) { (family: $0.text(0), user: $0.text(1)) }
            guard let found else { return nil }
            try Self.revokeFamily(found.family, at: StoredTime.milliseconds(now), connection)
            return found.user
        }
    }

    /// Deletes sessions that expired before `cutoff`; their families can no longer be refreshed,
    /// so they are no longer needed for reuse detection. Returns how many were deleted.
    @discardableResult
    public func deleteSessions(expiredBefore cutoff: Date) throws(SQLiteError) -> Int {
        try read { connection throws(SQLiteError) in try connection.run("DELETE FROM \"sessions\" WHERE \"expires_at\" < ?", [.int(StoredTime.milliseconds(cutoff))]) }
    }

    private static func insert(_ session: IdentitySession, _ connection: Connection) throws(SQLiteError) {
        try connection.run(
            """
            INSERT INTO "sessions"("token_hash", "family_id", "user_id", "created_at", "expires_at") VALUES (?, ?, ?, ?, ?)
            """,
            [
                .text(session.tokenHash), .text(session.familyID), .text(session.userID),
                .int(StoredTime.milliseconds(session.createdAt)), .int(StoredTime.milliseconds(session.expiresAt)),
            ])
    }

    private static func revokeFamily(_ familyID: String, at nowMS: Int64, _ connection: Connection) throws(SQLiteError) {
        try connection.run(
            "UPDATE \"sessions\" SET \"revoked_at\" = ? WHERE \"family_id\" = ? AND \"revoked_at\" IS NULL",
            [.int(nowMS), .text(familyID)])
    }
}
