import Foundation
import GRDB
import TideModel

/// Local reads and optimistic local writes: a write updates the record the app sees and queues
/// its outbox entry (coalesced with the one before it) in one transaction.
extension LocalStore {
    func get(model: String, id: String) async throws(TideClientError) -> ClientRecord? {
        let table = try table(model)
        return try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: table.selectByIDSQL), arguments: [id]).flatMap(table.clientRecord)
        }
    }

    /// Writes the given fields of a record (a create when the id is new or nil, else a partial
    /// update) and queues the write. Returns the record as the app now sees it.
    func save(model: String, id: String?, fields: [String: JSONValue]) async throws(TideClientError) -> ClientRecord {
        let table = try table(model)
        let description = try schema.model(model)
        if let id, id.isEmpty { throw .invalidRecord("\(model).id cannot be empty") }
        let validator = RecordValidator(schema: schema.app, description: description, writesEncryptedFields: writesEncryptedFields)
        let recordID = id ?? UUID().uuidString.lowercased()
        let now = Self.nowMillis()
        return try await write { db in
            let existing = try Self.storedRow(db, table, recordID)
            if let existing, existing.deleted {
                throw TideClientError.invalidRecord("\(model) \"\(recordID)\" was deleted; the id of a deleted record cannot be used again")
            }
            let isCreate = existing == nil
            if isCreate, description.operations.create == nil {
                throw TideClientError.invalidRecord("\(model) records cannot be created (the schema generates no create mutation)")
            }
            if !isCreate, description.operations.update == nil {
                throw TideClientError.invalidRecord("\(model) records cannot be updated (the schema generates no update mutation)")
            }
            let checked = try validator.validate(fields, isCreate: isCreate)
            var values = existing.map { table.fields(of: $0.values) } ?? [:]
            var patch: [String: JSONValue] = [:]
            for (name, value) in checked where (values[name] ?? .null) != value {
                patch[name] = value
                values[name] = value.isNull ? nil : value
            }
            if let existing, patch.isEmpty { return table.clientRecord(try Self.row(db, table, existing.id)!)! }
            try Self.keepServerCopy(db, table, existing)
            try Self.queue(
                db, table, id: recordID, operation: isCreate ? .create : .update, fields: isCreate ? checked : patch,
                baseVersion: existing?.version, now: now)
            try Self.recompute(db, table, recordID)
            return table.clientRecord(try Self.row(db, table, recordID)!)!
        }
    }

    /// Deletes a record locally and queues the delete (a create never sent and its delete cancel out).
    func delete(model: String, id: String) async throws(TideClientError) {
        let table = try table(model)
        let description = try schema.model(model)
        let now = Self.nowMillis()
        try await write { db in
            guard let existing = try Self.storedRow(db, table, id), !existing.deleted else {
                throw TideClientError.notFound("\(model) \"\(id)\"")
            }
            if description.operations.delete == nil {
                throw TideClientError.invalidRecord("\(model) records cannot be deleted (the schema generates no delete mutation)")
            }
            try Self.keepServerCopy(db, table, existing)
            try Self.queue(db, table, id: id, operation: .delete, fields: [:], baseVersion: existing.version, now: now)
            try Self.recompute(db, table, id)
        }
    }

    // MARK: - Building blocks (inside a write transaction)

    /// Tells observers (`observe`, `observeQuery`) that the table changed: SQLite's update hook,
    /// which GRDB's observation listens to, is not called for `WITHOUT ROWID` tables.
    static func changed(_ db: Database, _ table: ModelTable) throws {
        try db.notifyChanges(in: Table(table.tableName))
    }

    static func row(_ db: Database, _ table: ModelTable, _ id: String) throws -> Row? {
        try Row.fetchOne(db.cachedStatement(sql: table.selectByIDSQL), arguments: [id])
    }

    static func storedRow(_ db: Database, _ table: ModelTable, _ id: String) throws -> ModelTable.StoredRow? {
        try row(db, table, id).map(table.storedRow)
    }

    /// Before the first local write on a synced record: keep the server's copy, on which the
    /// queued writes are replayed and which a discard restores.
    static func keepServerCopy(_ db: Database, _ table: ModelTable, _ existing: ModelTable.StoredRow?) throws {
        guard let existing, !existing.pending, let record = table.record(existing) else { return }
        try setServerCopy(db, table, record)
    }

    /// Appends a write to the outbox, coalesced with the record's last entry.
    static func queue(
        _ db: Database, _ table: ModelTable, id: String, operation: OutboxEntry.Operation, fields: [String: JSONValue],
        baseVersion: Int64?, now: Int64
    ) throws {
        let model = table.model.name
        let last = try entries(db, model: model, recordID: id).last
        switch Coalescing.decide(last: last, operation: operation, fields: fields, baseVersion: baseVersion) {
        case .append:
            try db.execute(
                sql: """
                    INSERT INTO outbox (model, record_id, op, fields, base_version, state, created_at)
                    VALUES (?, ?, ?, ?, ?, 'pending', ?)
                    """,
                arguments: [model, id, operation.rawValue, JSONValue.object(fields).jsonString, baseVersion, now])
        case .replace(let op, let merged):
            try db.execute(
                sql: "UPDATE outbox SET op = ?, fields = ? WHERE seq = ?",
                arguments: [op.rawValue, JSONValue.object(merged).jsonString, last!.id])
        case .dropLast:
            try db.execute(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [last!.id])
        }
    }

    /// The record's queued writes, oldest first.
    static func entries(_ db: Database, model: String, recordID: String) throws -> [OutboxEntry] {
        try Row.fetchAll(
            db.cachedStatement(sql: "\(OutboxEntry.selectSQL) WHERE model = ? AND record_id = ? ORDER BY seq"),
            arguments: [model, recordID]
        ).map(OutboxEntry.init(row:))
    }

    static func serverCopy(_ db: Database, _ table: ModelTable, _ id: String) throws -> Record? {
        guard
            let text = try String.fetchOne(
                db.cachedStatement(sql: "SELECT record FROM server_copies WHERE model = ? AND id = ?"),
                arguments: [table.model.name, id]),
            case .object(let image)? = try? JSONParser.parse(text)
        else { return nil }
        return Record(image: image, createdAtField: table.model.createdAtField, updatedAtField: table.model.updatedAtField)
    }

    static func setServerCopy(_ db: Database, _ table: ModelTable, _ record: Record) throws {
        let image = JSONValue.object(
            record.values(createdAtField: table.model.createdAtField, updatedAtField: table.model.updatedAtField))
        try db.execute(
            sql: "INSERT OR REPLACE INTO server_copies (model, id, version, record) VALUES (?, ?, ?, ?)",
            arguments: [table.model.name, record.id, record.version, image.jsonString])
    }

    /// Rewrites the row the app sees from the server's copy and the queued writes (in order);
    /// with no queued writes left, the row is the server's copy and the copy is dropped.
    static func recompute(_ db: Database, _ table: ModelTable, _ id: String) throws {
        try changed(db, table)
        let copy = try serverCopy(db, table, id)
        let queued = try entries(db, model: table.model.name, recordID: id)
        guard !queued.isEmpty else {
            try db.execute(sql: "DELETE FROM server_copies WHERE model = ? AND id = ?", arguments: [table.model.name, id])
            if let copy {
                try RowWriter(db, table, sql: table.replaceSQL).write(server: copy)
            } else {
                try db.cachedStatement(sql: table.deleteSQL).execute(arguments: [id])
            }
            return
        }
        var fields = copy?.fields ?? [:]
        var deleted = copy?.deleted ?? false
        for entry in queued {
            switch entry.operation {
            case .create, .update:
                if entry.operation == .create { deleted = false }
                for (name, value) in entry.fields { fields[name] = value.isNull ? nil : value }
            case .delete:
                deleted = true
            }
        }
        try RowWriter(db, table, sql: table.replaceSQL).write(
            id: id, version: copy?.version, deleted: deleted, lastChangedAt: copy?.lastChangedAt,
            createdAt: copy.flatMap { $0.createdAt.isEmpty ? nil : $0.createdAt },
            updatedAt: copy.flatMap { $0.updatedAt.isEmpty ? nil : $0.updatedAt }, pending: true, fields: fields)
    }
}

extension OutboxEntry {
    static let selectSQL = """
        SELECT seq, model, record_id, op, fields, base_version, state, attempts, conflict_retries, next_attempt_at, \
        reason, created_at FROM outbox
        """

    init(row: Row) {
        let fieldsText: String = row[4]
        self.init(
            id: row[0], model: row[1], recordID: row[2], operation: Operation(rawValue: row[3]) ?? .update,
            fields: (try? JSONParser.parse(fieldsText))?.objectValue ?? [:], baseVersion: row[5],
            state: State(rawValue: row[6]) ?? .pending, attempts: row[7], conflictRetries: row[8], nextAttemptAt: row[9],
            reason: row[10], createdAt: row[11])
    }
}
