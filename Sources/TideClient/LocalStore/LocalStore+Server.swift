import Foundation
import GRDB
import TideModel

/// A change the server's data made to the local store (a sync page or a subscription event),
/// as `tide watch` prints it.
public struct AppliedChange: Sendable, Hashable {
    public enum Operation: String, Sendable {
        case create, update, delete
    }

    public let model: String
    public let operation: Operation
    public let id: String
    public let version: Int64
    /// The record as the app now sees it (nil after a delete).
    public let record: ClientRecord?

    /// `{"model","op","id","_version","record"}`.
    public var json: JSONValue {
        [
            "model": .string(model), "op": .string(operation.rawValue), "id": .string(id), "_version": .int(version),
            "record": record?.json ?? .null,
        ]
    }
}

/// Applying the server's records: sync pages and subscription events.
extension LocalStore {
    /// How a batch of server records changed the store.
    struct Applied: Sendable {
        /// Records that replaced (or removed) a local copy: the others were not newer.
        var count = 0
        /// The changes themselves, when asked for.
        var changes: [AppliedChange] = []
    }

    /// Applies server records of one model in one transaction. A record replaces the local copy
    /// only when its `_version` is newer; a tombstone (a delete, or a record that stopped being
    /// readable) removes it; a record outside the model's sync `predicate` is removed too. A
    /// record with queued local writes keeps them: its server copy is updated and the writes are
    /// replayed on it. `trackSeen` notes the ids for ``sweepUnseen(model:)`` after a base sync.
    func applyServerRecords(
        model: String, _ records: [Record], predicate: FilterExpression? = nil, report: Bool = false, trackSeen: Bool = false
    ) async throws(TideClientError) -> Applied {
        let table = try table(model)
        return try await write { db in
            try Self.applyServer(db, table, records, predicate: predicate, report: report, trackSeen: trackSeen)
        }
    }

    static func applyServer(
        _ db: Database, _ table: ModelTable, _ records: [Record], predicate: FilterExpression?, report: Bool, trackSeen: Bool
    ) throws -> Applied {
        var applied = Applied()
        guard !records.isEmpty else { return applied }
        let model = table.model.name
        let withWrites = Set(
            try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT record_id FROM outbox WHERE model = ?"), arguments: [model]))
        let upsert = try RowWriter(db, table, sql: table.upsertServerSQL)
        let seen = trackSeen ? try db.cachedStatement(sql: "INSERT OR IGNORE INTO temp.seen_ids (id) VALUES (?)") : nil
        let versionOf = try db.cachedStatement(sql: "SELECT \"$version\", \"$deleted\" FROM \(ModelTable.quote(table.tableName)) WHERE id = ?")
        for var record in records {
            if let predicate, !record.deleted,
                !FilterEvaluator.matches(predicate, record.values(createdAtField: table.model.createdAtField, updatedAtField: table.model.updatedAtField))
            {
                // Outside what this device keeps: removed like a record it may no longer read.
                record.deleted = true
            }
            try seen?.execute(arguments: [record.id])
            var prior: (version: Int64?, deleted: Bool)?
            if report, let row = try Row.fetchOne(versionOf, arguments: [record.id]) {
                prior = (row[0], (row[1] as Int64) != 0)
            }
            if withWrites.contains(record.id) {
                let current = try serverCopy(db, table, record.id)?.version ?? prior?.version
                    ?? (try Row.fetchOne(versionOf, arguments: [record.id])?[0] as Int64?)
                if let current, current >= record.version { continue }
                try setServerCopy(db, table, record)
                try recompute(db, table, record.id)
            } else {
                guard try upsert.write(server: record) else { continue }
            }
            applied.count += 1
            if applied.count == 1 { try changed(db, table) }
            if report {
                let operation: AppliedChange.Operation =
                    record.deleted ? .delete : (prior == nil || prior!.deleted ? .create : .update)
                if record.deleted, prior == nil || prior!.deleted { continue }  // nothing the app saw changed
                let now = try storedRow(db, table, record.id)
                applied.changes.append(
                    AppliedChange(
                        model: model, operation: operation, id: record.id, version: record.version,
                        record: now.flatMap { $0.deleted ? nil : ClientRecord(model: model, values: $0.values, hasPendingChanges: $0.pending) }))
            }
        }
        return applied
    }

    /// Starts noting the ids a base sync returns.
    func beginTrackingSeen() async throws(TideClientError) {
        try await write { db in
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS seen_ids (id TEXT PRIMARY KEY) WITHOUT ROWID")
            try db.execute(sql: "DELETE FROM temp.seen_ids")
        }
    }

    /// The server holds `id` for certain (it answered this client's own write): a base sync
    /// under way must not sweep it, though its pages may have been read before the write landed.
    static func markSeen(_ db: Database, _ id: String) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_temp_master WHERE name = 'seen_ids')") ?? false else { return }
        try db.execute(sql: "INSERT OR IGNORE INTO temp.seen_ids (id) VALUES (?)", arguments: [id])
    }

    /// After a base sync: records the server no longer returned (and that have no local writes)
    /// are removed. Returns how many.
    func sweepUnseen(model: String) async throws(TideClientError) -> Int {
        let table = try table(model)
        return try await write { db in
            try db.execute(
                sql: """
                    UPDATE \(ModelTable.quote(table.tableName)) SET "$deleted" = 1
                    WHERE "$pending" = 0 AND "$deleted" = 0 AND id NOT IN (SELECT id FROM temp.seen_ids)
                    """)
            let removed = db.changesCount
            if removed > 0 { try Self.changed(db, table) }
            try db.execute(sql: "DROP TABLE IF EXISTS temp.seen_ids")
            return removed
        }
    }

    /// Whether the model has any record without local writes (a base sync must then sweep).
    func hasSyncedRecords(model: String) async throws(TideClientError) -> Bool {
        let table = try table(model)
        return try await read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(ModelTable.quote(table.tableName)) WHERE \"$pending\" = 0)") ?? false
        }
    }

    /// Tombstones are kept this long (by their `_lastChangedAt`) to turn away late, older events.
    static let tombstoneRetention: Int64 = 7 * 24 * 3600 * 1000

    func purgeTombstones(model: String) async throws(TideClientError) {
        let table = try table(model)
        let horizon = Self.nowMillis() - Self.tombstoneRetention
        try await write { db in
            try db.execute(
                sql: """
                    DELETE FROM \(ModelTable.quote(table.tableName))
                    WHERE "$deleted" = 1 AND "$pending" = 0 AND ("$lastChangedAt" IS NULL OR "$lastChangedAt" < ?)
                    """,
                arguments: [horizon])
        }
    }
}
