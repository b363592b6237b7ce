import Foundation
import TideModel
import TideSQLite

extension Store {
    /// Queues `body` for the writer thread and suspends until its batch has committed.
    func submit<T: Sendable>(_ body: @escaping @Sendable (WriteSession) throws(StoreError) -> T) async throws(StoreError) -> T {
        try checkOpen()
        let result: Result<T, StoreError> = await withUnsafeContinuation { continuation in
            let job = WriteJob(
                run: { session throws(StoreError) in
                    let value = try body(session)
                    return { error in continuation.resume(returning: error.map { .failure($0) } ?? .success(value)) }
                },
                fail: { error in continuation.resume(returning: .failure(error)) })
            if !writer.queue.enqueue(job) { continuation.resume(returning: .failure(.closed)) }
        }
        return try result.get()
    }

    /// Creates a record (`_version` 1). `id` nil: a new lowercased UUID. An existing id, even a
    /// tombstone's, throws `alreadyExists`; a `condition` is evaluated against no record.
    public func create(
        model: String, id: String?, values: [String: JSONValue], condition: FilterExpression?, actor: String
    ) async throws(StoreError) -> Record {
        let table = try table(model)
        let id = id ?? RecordCodec.newID()
        try RecordCodec.validateID(id)
        let normalized = try RecordCodec.normalize(values, for: table)
        var row = [JSONValue](repeating: .null, count: table.fields.count)
        for (index, value) in normalized { row[index] = value }
        try RecordCodec.checkRequired(row, for: table)
        if let condition { try SQLFilterCompiler(table: table).validateFields(condition) }
        return try await submit { session throws(StoreError) in
            try session.create(table, id: id, values: normalized, condition: condition, actor: actor)
        }
    }

    /// Writes `values` over the stored record (a `.null` value clears the field; absent keys are
    /// untouched), `_version` + 1. Throws `notFound` for a missing, deleted or expired record,
    /// then, checked atomically inside the write transaction, `forbidden`, `versionConflict` or
    /// `conditionFailed` when one of the `guards` does not hold on the current record. With
    /// `guards.conflictStrategy` `.automerge`, a stale version is not an error: the update is
    /// merged into the current record (`AutoMerge`) and the outcome says what it dropped.
    public func update(
        model: String, id: String, values: [String: JSONValue], guards: WriteGuards, actor: String
    ) async throws(StoreError) -> UpdateOutcome {
        let table = try table(model)
        try RecordCodec.validateID(id)
        let normalized = try RecordCodec.normalize(values, for: table)
        if let condition = guards.condition { try SQLFilterCompiler(table: table).validateFields(condition) }
        return try await submit { session throws(StoreError) in
            try session.update(table, id: id, values: normalized, guards: guards, actor: actor)
        }
    }

    /// Turns the record into a tombstone (`_deleted`, `_version` + 1) and returns it; the same
    /// checks as `update`, except that a stale version always throws `versionConflict`: a delete
    /// has no fields to merge, and deleting what the caller has not seen would lose data.
    public func delete(model: String, id: String, guards: WriteGuards, actor: String) async throws(StoreError) -> Record {
        let table = try table(model)
        try RecordCodec.validateID(id)
        if let condition = guards.condition { try SQLFilterCompiler(table: table).validateFields(condition) }
        return try await submit { session throws(StoreError) in
            try session.delete(table, id: id, guards: guards, actor: actor)
        }
    }

    // MARK: Maintenance

    /// TTL sweep: turns records whose TTL is ≤ `now` into tombstones, `batchSize` per write
    /// transaction, with REMOVE feed entries (reason `"ttl"`, actor `"system:ttl"`).
    /// Returns how many records were swept.
    public func sweepExpired(now: Date = Date(), batchSize: Int = 500) async throws(StoreError) -> Int {
        let nowSeconds = Timestamps.seconds(now)
        let limit = max(1, batchSize)
        var total = 0
        for table in tables.values.sorted(by: { $0.name < $1.name }) where table.expiry != nil {
            while true {
                let swept = try await submit { session throws(StoreError) in
                    try session.sweepExpired(table, nowSeconds: nowSeconds, limit: limit)
                }
                total += swept
                if swept < limit { break }
            }
        }
        if total > 0 { logger.info("TTL sweep", metadata: ["records": "\(total)"]) }
        return total
    }

    /// Retention: deletes tombstones older than `tombstoneRetentionSeconds` and feed entries
    /// older than `feedRetentionSeconds`, never past the lowest stored checkpoint.
    public func purge(now: Date = Date()) async throws(StoreError) -> (tombstones: Int, feedEntries: Int) {
        let nowMillis = StoredTime.milliseconds(now)
        let tombstoneCutoff = nowMillis - configuration.tombstoneRetentionSeconds * 1000
        let feedCutoff = nowMillis - configuration.feedRetentionSeconds * 1000
        let limit = 5_000
        var tombstones = 0
        for table in tables.values.sorted(by: { $0.name < $1.name }) {
            while true {
                let purged = try await submit { session throws(StoreError) in
                    try session.purgeTombstones(table, olderThanMillis: tombstoneCutoff, limit: limit)
                }
                tombstones += purged
                if purged < limit { break }
            }
        }
        var feedEntries = 0
        while true {
            let purged = try await submit { session throws(StoreError) in
                try session.purgeFeed(olderThanMillis: feedCutoff, limit: limit)
            }
            feedEntries += purged
            if purged < limit { break }
        }
        if tombstones + feedEntries > 0 {
            logger.info("purged", metadata: ["tombstones": "\(tombstones)", "feedEntries": "\(feedEntries)"])
        }
        return (tombstones, feedEntries)
    }

    /// Write-path counters (for `/metrics`).
    public var statistics: StoreStatistics { counters.statistics.withLock { $0 } }
}
