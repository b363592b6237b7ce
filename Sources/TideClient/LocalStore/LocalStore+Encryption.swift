import GRDB
import TideModel

/// What the local store keeps for end-to-end encryption (docs/ENCRYPTION.md): the values that
/// arrived and did not decrypt (table `decryption_failures`: model, record id, field, reason;
/// never the value), so that they can be fetched again once the keys are unlocked, and the
/// re-encrypt pass after a key rotation.
extension LocalStore {
    /// Creates the failure table when it is not there yet.
    func prepareDecryptionFailures() throws(TideClientError) {
        do {
            try pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS decryption_failures (
                            model TEXT NOT NULL, record_id TEXT NOT NULL, field TEXT NOT NULL, reason TEXT NOT NULL,
                            at INTEGER NOT NULL, PRIMARY KEY (model, record_id, field)) WITHOUT ROWID
                        """)
            }
        } catch {
            throw .localStore("cannot prepare the decryption failure table: \(error)")
        }
    }

    /// Notes values that did not decrypt, in one transaction (``DecryptionFailureLog`` batches them).
    func recordDecryptionFailures(_ failures: [DecryptionFailure]) {
        let now = Self.nowMillis()
        try? pool.write { db in
            let insert = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO decryption_failures (model, record_id, field, reason, at) VALUES (?, ?, ?, ?, ?)")
            for failure in failures {
                try insert.execute(arguments: [failure.model, failure.recordID, failure.field, failure.reason, now])
            }
        }
    }

    /// The recorded failures, by model, record and field.
    func decryptionFailures() async throws(TideClientError) -> [DecryptionFailure] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT model, record_id, field, reason FROM decryption_failures ORDER BY model, record_id, field")
                .map { DecryptionFailure(model: $0[0], recordID: $0[1], field: $0[2], reason: $0[3]) }
        }
    }

    /// Prepares fetching again the records of `model` whose values did not decrypt: those
    /// records (without local writes) are removed and the model's sync cursor is dropped, so the
    /// next sync is a base sync that brings them back through the (now unlocked) transform.
    /// Returns the number of records removed.
    func forgetUndecryptable(model: String) async throws(TideClientError) -> Int {
        let table = try table(model)
        return try await write { db in
            try db.execute(
                sql: """
                    DELETE FROM \(ModelTable.quote(table.tableName)) WHERE "$pending" = 0
                    AND id IN (SELECT record_id FROM decryption_failures WHERE model = ?)
                    """,
                arguments: [model])
            let removed = db.changesCount
            if removed > 0 { try Self.changed(db, table) }
            try db.execute(sql: "DELETE FROM decryption_failures WHERE model = ?", arguments: [model])
            try db.execute(sql: "DELETE FROM sync_state WHERE model = ?", arguments: [model])
            return removed
        }
    }

    /// Queues an update of every record of `model` that holds an encrypted value, sending those
    /// values again (so that they are encrypted under the newest key). The local values do not
    /// change. Returns the number of records queued.
    func queueReencryption(model: String) async throws(TideClientError) -> Int {
        let table = try table(model)
        let description = try schema.model(model)
        guard description.operations.update != nil else { return 0 }
        let names = table.model.fields.filter { Self.holdsEncryptedValues($0, schema.app) }.map(\.name)
        guard !names.isEmpty else { return 0 }
        let now = Self.nowMillis()
        return try await write { db in
            var queued = 0
            for row in try Row.fetchAll(db, sql: "\(table.selectSQL) WHERE \"$deleted\" = 0") {
                let stored = table.storedRow(row)
                var fields: [String: JSONValue] = [:]
                for name in names { if let value = stored.values[name], !value.isNull { fields[name] = value } }
                // A record never sent yet is encrypted with the newest key when its create goes out.
                guard !fields.isEmpty, stored.version != nil else { continue }
                try Self.keepServerCopy(db, table, stored)
                try Self.queue(db, table, id: stored.id, operation: .update, fields: fields, baseVersion: stored.version, now: now)
                try Self.recompute(db, table, stored.id)
                queued += 1
            }
            return queued
        }
    }

    /// Whether `field` is `@encrypted` or an embedded object with encrypted fields inside.
    static func holdsEncryptedValues(_ field: Field, _ schema: AppSchema, depth: Int = 0) -> Bool {
        if field.isEncrypted { return true }
        guard case .embedded(let name) = field.type.base, let embedded = schema.embeddedType(named: name), depth < 8 else { return false }
        return embedded.fields.contains { holdsEncryptedValues($0, schema, depth: depth + 1) }
    }
}
