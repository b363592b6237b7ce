import Foundation
import TideSQLite

/// A user's stored key envelope.
public struct StoredKeyEnvelope: Sendable, Equatable {
    /// The envelope's JSON, as it was stored.
    public var envelope: [UInt8]
    /// 1 for the first, +1 per replacement.
    public var version: Int64
}

/// What ``IdentityStore/putKeyEnvelope(userID:envelope:expectedVersion:at:)`` did.
public enum KeyEnvelopeWrite: Sendable, Equatable {
    /// Stored with this version.
    case stored(version: Int64)
    /// Nothing stored: the stored version (0: none) is not the expected one.
    case conflict(current: Int64)
    /// Nothing stored: there is no such user (removed while its access token lives on).
    case noSuchUser
}

extension IdentityStore {
    /// The user's key envelope, nil when none was stored.
    public func keyEnvelope(userID: String) throws(SQLiteError) -> StoredKeyEnvelope? {
        try read { connection throws(SQLiteError) in
            try connection.queryFirst(
                "SELECT \"envelope\", \"version\" FROM \"key_envelopes\" WHERE \"user_id\" = ?", [.text(userID)]
            ) { row in
                StoredKeyEnvelope(envelope: row.withTextBytes(0) { Array($0) }, version: row.int64(1))
            }
        }
    }

    /// Stores `envelope` as the next version when the stored version is `expectedVersion`
    /// (0 when there is none yet), in one transaction, so two devices cannot both replace version N.
    public func putKeyEnvelope(
        userID: String, envelope: [UInt8], expectedVersion: Int64, at time: Date
    ) throws(SQLiteError) -> KeyEnvelopeWrite {
        try write { connection throws(SQLiteError) in
            let current = try connection.queryFirst(
                "SELECT \"version\" FROM \"key_envelopes\" WHERE \"user_id\" = ?", [.text(userID)]) { $0.int64(0) } ?? 0
            guard current == expectedVersion else { return .conflict(current: current) }
            guard try connection.queryFirst("SELECT 1 FROM \"users\" WHERE \"id\" = ?", [.text(userID)], { _ in true }) == true else {
                return .noSuchUser
            }
            try connection.run(
                """
                INSERT INTO "key_envelopes"("user_id", "envelope", "version", "updated_at") VALUES (?, ?, ?, ?) \
                ON CONFLICT("user_id") DO UPDATE SET "envelope" = excluded."envelope", "version" = excluded."version", \
                "updated_at" = excluded."updated_at"
                """,
                [.text(userID), .textBytes(envelope), .int(current + 1), .int(StoredTime.milliseconds(time))])
            return .stored(version: current + 1)
        }
    }
}
