import Foundation
import TideSQLite

extension IdentityStore {
    /// Every signing key, current first, then retired ones from the most recently retired.
    public func signingKeys() throws(SQLiteError) -> [IdentitySigningKey] {
        try read { connection throws(SQLiteError) in
            var keys: [IdentitySigningKey] = []
            try connection.query(
                """
                SELECT "kid", "secret_key", "created_at", "retired_at" FROM "signing_keys" \
                ORDER BY "retired_at" IS NOT NULL, "retired_at" DESC, "created_at" DESC
                """
            ) { row in
                keys.append(
                    IdentitySigningKey(
                        kid: row.text(0), secretKey: row.text(1), createdAt: StoredTime.date(milliseconds: row.int64(2)),
                        retiredAt: row.optionalInt64(3).map(StoredTime.date(milliseconds:))))
            }
            return keys
        }
    }

    /// Stores `key` as the current key unless one exists already (two processes starting on a new
    /// folder at once both try; one wins). Returns whether `key` was stored.
    @discardableResult
    public func insertSigningKeyIfNone(_ key: IdentitySigningKey) throws(SQLiteError) -> Bool {
        try write { connection throws(SQLiteError) in
            let hasCurrent = try connection.queryFirst("SELECT 1 FROM \"signing_keys\" WHERE \"retired_at\" IS NULL") { _ in true } ?? false
            guard !hasCurrent else { return false }
            try Self.insert(key, connection)
            return true
        }
    }

    /// Retires the current key at `key.createdAt` and makes `key` current, in one transaction.
    public func rotateSigningKey(to key: IdentitySigningKey) throws(SQLiteError) {
        try write { connection throws(SQLiteError) in
            try connection.run(
                "UPDATE \"signing_keys\" SET \"retired_at\" = ? WHERE \"retired_at\" IS NULL",
                [.int(StoredTime.milliseconds(key.createdAt))])
            try Self.insert(key, connection)
        }
    }

    private static func insert(_ key: IdentitySigningKey, _ connection: Connection) throws(SQLiteError) {
        try connection.run(
            "INSERT INTO \"signing_keys\"(\"kid\", \"secret_key\", \"created_at\", \"retired_at\") VALUES (?, ?, ?, ?)",
            [.text(key.kid), .text(key.secretKey), .int(StoredTime.milliseconds(key.createdAt)), optionalTime(key.retiredAt)])
    }
}
