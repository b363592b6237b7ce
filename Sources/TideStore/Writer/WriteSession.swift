import Foundation
import Logging
import TideModel
import TideSQLite

/// The writer thread's view of the database: the record operations that jobs run inside the
/// batch transaction, and the clock that stamps them. Used only on the writer thread.
final class WriteSession {
    let connection: Connection
    let logger: Logger
    /// The highest feed seq written so far in this transaction (committed or not).
    var lastFeedSeq: Int64
    /// Stamps `_lastChangedAt`: never backwards, so stamps follow commit order.
    let clock: StampClock

    static let ttlActor = "system:ttl"

    init(connection: Connection, logger: Logger, lastFeedSeq: Int64, clock: StampClock) {
        self.connection = connection
        self.logger = logger
        self.lastFeedSeq = lastFeedSeq
        self.clock = clock
    }

    func nowMillis() -> Int64 { clock.stamp() }

    // MARK: Records

    func fetch(_ table: ModelTable, id: String) throws(StoreError) -> StoredRow? {
        try StoreError.wrapping(connection.queryFirst(table.selectByID, [.text(id)]) { RecordCodec.decode($0, table) })
    }

    func create(
        _ table: ModelTable, id: String, values: [(Int, JSONValue)], condition: FilterExpression?, actor: String
    ) throws(StoreError) -> Record {
        if let condition, !FilterEvaluator.matches(condition, [:]) {
            // A taken id is the answer whether or not a condition was given.
            if try StoreError.wrapping(connection.queryFirst(table.existsByID, [.text(id)]) { _ in true }) != nil {
                throw .alreadyExists(model: table.name, id: id)
            }
            throw .conditionFailed(current: nil)
        }
        var fields = [JSONValue](repeating: .null, count: table.fields.count)
        for (index, value) in values { fields[index] = value }
        let now = nowMillis()
        let stamp = Timestamps.iso8601(milliseconds: now)
        let row = StoredRow(
            id: id, version: 1, deleted: false, lastChangedAt: now, createdAt: stamp, updatedAt: stamp, values: fields)
        do throws(SQLiteError) {
            // The primary key refuses a taken id (a tombstone's too): no lookup before every insert.
            try connection.run(table.insert, RecordCodec.insertBindings(row, table))
        } catch .sqlite(let code, _) where code == ResultCode.primaryKeyConstraint {
            throw .alreadyExists(model: table.name, id: id)
        } catch {
            throw StoreError(error)
        }
        let record = row.record(table)
        try appendFeed(table, record: record, operation: .insert, old: nil, actor: actor, reason: nil)
        return record
    }

    /// Loads a live record for update or delete and checks, in this order, authorization,
    /// version and condition: a caller who may not change the record learns nothing about it
    /// (a conflict or condition failure would reveal its current state). A stale version throws
    /// `versionConflict` unless `mergesStaleVersion`; then `isStale` tells the caller to merge.
    private func current(
        _ table: ModelTable, id: String, guards: WriteGuards, mergesStaleVersion: Bool, now: Int64
    ) throws(StoreError) -> (row: StoredRow, record: Record, isStale: Bool) {
        guard let row = try fetch(table, id: id), !row.deleted, table.expiry?.isExpired(row, nowSeconds: now / 1000) != true else {
            throw .notFound(model: table.name, id: id)
        }
        let record = row.record(table)
        let values = guards.authorization == nil && guards.condition == nil ? [:] : table.values(of: record)
        if let authorization = guards.authorization, !FilterEvaluator.matches(authorization, values) {
            throw .forbidden(model: table.name, id: id)
        }
        let isStale = guards.expectedVersion.map { $0 != row.version } ?? false
        if isStale && !mergesStaleVersion { throw .versionConflict(current: record) }
        if let condition = guards.condition, !FilterEvaluator.matches(condition, values) {
            throw .conditionFailed(current: record)
        }
        return (row, record, isStale)
    }

    /// Writes `values` over the stored record. A stale update under `.automerge` first merges
    /// them into the stored fields, here on the row this transaction read, so no concurrent
    /// write can slip in between the merge and the write.
    func update(
        _ table: ModelTable, id: String, values: [(Int, JSONValue)], guards: WriteGuards, actor: String
    ) throws(StoreError) -> UpdateOutcome {
        let now = nowMillis()
        let (stored, old, isStale) = try current(
            table, id: id, guards: guards, mergesStaleVersion: guards.conflictStrategy == .automerge, now: now)
        var row = stored
        var dropped: [String] = []
        if isStale {
            let incoming = Dictionary(uniqueKeysWithValues: values.map { (table.fields[$0.0].name, $0.1) })
            let merge = table.merger.merge(server: old.fields, incoming: incoming)
            for (name, value) in merge.values {
                if let index = table.fieldIndex[name] { row.values[index] = value }
            }
            dropped = merge.dropped
        } else {
            for (index, value) in values { row.values[index] = value }
        }
        row.version += 1
        row.lastChangedAt = now
        row.updatedAt = Timestamps.iso8601(milliseconds: now)
        try StoreError.wrapping(connection.run(table.update, RecordCodec.updateBindings(row, table)))
        let record = row.record(table)
        try appendFeed(table, record: record, operation: .modify, old: old, actor: actor, reason: nil)
        return UpdateOutcome(record: record, merged: isStale, dropped: dropped)
    }

    func delete(_ table: ModelTable, id: String, guards: WriteGuards, actor: String) throws(StoreError) -> Record {
        let now = nowMillis()
        let (row, old, _) = try current(table, id: id, guards: guards, mergesStaleVersion: false, now: now)
        return try tombstone(table, row, old: old, now: now, actor: actor, reason: nil)
    }

    /// Marks a record deleted (`_deleted`, `_version` + 1, `_lastChangedAt` = now), keeping its
    /// fields for delta sync, and appends the REMOVE entry.
    private func tombstone(
        _ table: ModelTable, _ row: StoredRow, old: Record, now: Int64, actor: String, reason: String?
    ) throws(StoreError) -> Record {
        var row = row
        row.deleted = true
        row.version += 1
        row.lastChangedAt = now
        try StoreError.wrapping(connection.run(table.update, RecordCodec.updateBindings(row, table)))
        let record = row.record(table)
        try appendFeed(table, record: record, operation: .remove, old: old, actor: actor, reason: reason)
        return record
    }

    /// Tombstones up to `limit` records of `table` whose TTL is ≤ `nowSeconds`.
    func sweepExpired(_ table: ModelTable, nowSeconds: Int64, limit: Int) throws(StoreError) -> Int {
        guard let sql = table.selectExpired else { return 0 }
        var rows: [StoredRow] = []
        try StoreError.wrapping(
            connection.query(sql, [.int(nowSeconds), .int(Int64(limit))]) { rows.append(RecordCodec.decode($0, table)) })
        let now = nowMillis()
        for row in rows {
            _ = try tombstone(table, row, old: row.record(table), now: now, actor: Self.ttlActor, reason: "ttl")
        }
        return rows.count
    }

    // MARK: Feed and retention

    private func appendFeed(
        _ table: ModelTable, record: Record, operation: FeedEntry.Operation, old: Record?, actor: String, reason: String?
    ) throws(StoreError) {
        try StoreError.wrapping(
            connection.run(
                FeedSQL.insert,
                [
                    .text(table.name), .text(record.id), .text(operation.rawValue), .int(record.version),
                    old.map { .text(table.image(of: $0)) } ?? .null, .text(table.image(of: record)), .text(actor),
                    .int(record.lastChangedAt),
                    reason.map { .text($0) } ?? .null,
                ]))
        lastFeedSeq = connection.lastInsertRowID
    }

    func purgeTombstones(_ table: ModelTable, olderThanMillis cutoff: Int64, limit: Int) throws(StoreError) -> Int {
        try StoreError.wrapping(connection.run(table.purgeTombstones, [.int(cutoff), .int(Int64(limit))]))
    }

    /// Deletes up to `limit` feed entries older than `cutoff`, never past the lowest checkpoint.
    func purgeFeed(olderThanMillis cutoff: Int64, limit: Int) throws(StoreError) -> Int {
        let lowestCheckpoint = try StoreError.wrapping(connection.queryFirst(FeedSQL.lowestCheckpoint) { $0.optionalInt64(0) }) ?? nil
        let firstRecent = try StoreError.wrapping(connection.queryFirst(FeedSQL.firstRecent, [.int(cutoff)]) { $0.int64(0) })
        var upTo = firstRecent.map { $0 - 1 } ?? lastFeedSeq
        if let lowestCheckpoint { upTo = min(upTo, lowestCheckpoint) }
        guard upTo > 0 else { return 0 }
        return try StoreError.wrapping(connection.run(FeedSQL.purge, [.int(upTo), .int(Int64(limit))]))
    }

    func saveCheckpoint(consumer: String, seq: Int64) throws(StoreError) {
        try StoreError.wrapping(connection.run(FeedSQL.saveCheckpoint, [.text(consumer), .int(seq), .int(nowMillis())]))
    }

    func removeCheckpoint(consumer: String) throws(StoreError) -> Bool {
        try StoreError.wrapping(connection.run(FeedSQL.removeCheckpoint, [.text(consumer)])) > 0
    }
}
