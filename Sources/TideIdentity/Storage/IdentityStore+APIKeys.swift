import Foundation
import TideSQLite

extension IdentityStore {
    /// Stores a new API key (its secret only as a hash).
    public func insertAPIKey(_ key: IdentityAPIKey) throws(SQLiteError) {
        try read { connection throws(SQLiteError) -> Void in
            try connection.run(
                """
                INSERT INTO "api_keys"("id", "secret_hash", "name", "created_at", "expires_at", "revoked_at") VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(key.id), .text(key.secretHash), .text(key.name), .int(StoredTime.milliseconds(key.createdAt)),
                    Self.optionalTime(key.expiresAt), Self.optionalTime(key.revokedAt),
                ])
        }
    }

    /// Every API key, oldest first, revoked ones included.
    public func apiKeys() throws(SQLiteError) -> [IdentityAPIKey] {
        try read { connection throws(SQLiteError) in
            var keys: [IdentityAPIKey] = []
            try connection.query(
                """
                SELECT "id", "secret_hash", "name", "created_at", "expires_at", "revoked_at" FROM "api_keys" ORDER BY "created_at", "id"
                """
            ) { row in
                keys.append(
                    IdentityAPIKey(
                        id: row.text(0), secretHash: row.text(1), name: row.text(2), createdAt: StoredTime.date(milliseconds: row.int64(3)),
                        expiresAt: row.optionalInt64(4).map(StoredTime.date(milliseconds:)),
                        revokedAt: row.optionalInt64(5).map(StoredTime.date(milliseconds:))))
            }
            return keys
        }
    }

    /// Marks the key revoked (keeping the first revocation time). False when there is no such key.
    @discardableResult
    public func revokeAPIKey(id: String, at now: Date) throws(SQLiteError) -> Bool {
        try read { connection throws(SQLiteError) in
            try connection.run(
                "UPDATE \"api_keys\" SET \"revoked_at\" = coalesce(\"revoked_at\", ?) WHERE \"id\" = ?",
                [.int(StoredTime.milliseconds(now)), .text(id)]) > 0
        }
    }

    static func optionalTime(_ date: Date?) -> SQLBinding {
        date.map { .int(StoredTime.milliseconds($0)) } ?? .null
    }
}
