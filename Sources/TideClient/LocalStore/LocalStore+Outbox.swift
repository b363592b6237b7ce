import GRDB
import TideModel

/// The outbox as the sender and the app see it.
extension LocalStore {
    /// Claims up to `limit` entries to send: the first entry of each record that is pending and
    /// due, skipping records in `busy`. Marked in flight in the same transaction.
    func claimDue(now: Int64, limit: Int, busy: Set<RecordKey>) async throws(TideClientError) -> [OutboxEntry] {
        try await write { db in
            let candidates = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        \(OutboxEntry.selectSQL) AS o WHERE state = 'pending' AND next_attempt_at <= ?
                        AND seq = (SELECT min(seq) FROM outbox WHERE model = o.model AND record_id = o.record_id)
                        ORDER BY seq LIMIT ?
                        """),
                arguments: [now, limit + busy.count]
            ).map(OutboxEntry.init(row:))
            var claimed: [OutboxEntry] = []
            let mark = try db.cachedStatement(sql: "UPDATE outbox SET state = 'inflight', attempts = ? WHERE seq = ?")
            for var entry in candidates where claimed.count < limit && !busy.contains(RecordKey(entry)) {
                try entry.startSending()
                try mark.execute(arguments: [entry.attempts, entry.id])
                claimed.append(entry)
            }
            return claimed
        }
    }

    /// When the next pending entry is due (epoch ms), or nil when none waits.
    func nextDue() async throws(TideClientError) -> Int64? {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'")
        }
    }

    /// Entries left in flight by a sender that is gone (a killed process) are pending again.
    /// Called by a sender once it holds the store's send lock, so no live sender owns them.
    func recoverInFlight() async throws(TideClientError) {
        try await write { db in try db.execute(sql: "UPDATE outbox SET state = 'pending' WHERE state = 'inflight'") }
    }

    /// Applies the outcomes of finished sends in one transaction.
    func applyOutcomes(_ sent: [SentEntry]) async throws(TideClientError) {
        guard !sent.isEmpty else { return }
        let tables = self.tables
        let now = Self.nowMillis()
        try await write { db in
            for item in sent {
                guard let table = tables[item.entry.model] else { continue }
                try Self.apply(db, table, item, now: now)
            }
        }
    }

    private static func apply(_ db: Database, _ table: ModelTable, _ item: SentEntry, now: Int64) throws {
        var entry = item.entry
        let id = entry.recordID
        if let resolution = item.resolution {
            try db.execute(
                sql: """
                    INSERT INTO conflicts (at, model, record_id, op, local_version, server_version, strategy, outcome, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    now, entry.model, id, entry.operation.rawValue, entry.baseVersion, resolution.serverVersion, resolution.strategy,
                    resolution.outcome, resolution.detail,
                ])
        }
        switch item.outcome {
        case .acknowledged(let record):
            try db.execute(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [entry.id])
            try adoptServerCopy(db, table, record)
            // Writes queued behind this one on the same server version were made on top of it.
            // When the server applied it as sent (the next version, nothing merged), its answer
            // is exactly what they saw, so they build on that version now. When the server
            // merged it, they keep their older version and are merged (or refused) in turn:
            // sent on the new one, a list they carry would replace the merged list.
            if item.resolution == nil, record.version == (entry.baseVersion ?? 0) + 1 {
                try db.execute(
                    sql: "UPDATE outbox SET base_version = ? WHERE model = ? AND record_id = ? AND op != 'create' AND base_version IS ?",
                    arguments: [record.version, entry.model, id, entry.baseVersion])
            }
        case .settledDeleted:
            try db.execute(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [entry.id])
            let known = try serverCopy(db, table, id) ?? storedRow(db, table, id).flatMap { table.record($0) }
            var tombstone = known ?? Record(id: id, version: 0, deleted: true, lastChangedAt: now, createdAt: "", updatedAt: "", fields: [:])
            tombstone.deleted = true
            tombstone.fields = [:]
            try setServerCopy(db, table, tombstone)
        case .transient(let reason, let retryAfter, _):
            try entry.failTransiently(reason: reason, now: now, delay: Backoff.standard.delay(attempt: entry.attempts, retryAfter: retryAfter))
            try update(db, entry)
        case .unauthenticated:
            try entry.failTransiently(reason: "the access token was refused", now: now, delay: 0)
            try update(db, entry)
        case .parked(let reason, let server):
            try entry.park(reason: reason)
            try update(db, entry)
            if let server { try adoptServerCopy(db, table, server) }
        case .resend(let operation, let fields, let server):
            try entry.resend(operation: operation, fields: fields, baseVersion: server.version, now: now)
            try update(db, entry)
            try adoptServerCopy(db, table, server)
        case .dropped(let server):
            try db.execute(sql: "DELETE FROM outbox WHERE seq = ?", arguments: [entry.id])
            try adoptServerCopy(db, table, server)
        }
        try recompute(db, table, id)
    }

    /// Keeps `record` as the server copy unless the one held is newer (an event may have
    /// brought a later version while the send was under way).
    private static func adoptServerCopy(_ db: Database, _ table: ModelTable, _ record: Record) throws {
        try markSeen(db, record.id)
        if let held = try serverCopy(db, table, record.id), held.version >= record.version { return }
        try setServerCopy(db, table, record)
    }

    private static func update(_ db: Database, _ entry: OutboxEntry) throws {
        try db.execute(
            sql: """
                UPDATE outbox SET op = ?, fields = ?, base_version = ?, state = ?, attempts = ?, conflict_retries = ?,
                next_attempt_at = ?, reason = ? WHERE seq = ?
                """,
            arguments: [
                entry.operation.rawValue, JSONValue.object(entry.fields).jsonString, entry.baseVersion, entry.state.rawValue,
                entry.attempts, entry.conflictRetries, entry.nextAttemptAt, entry.reason, entry.id,
            ])
    }

    // MARK: - The app's view

    func outboxEntries() async throws(TideClientError) -> [OutboxEntry] {
        try await read { db in try Row.fetchAll(db, sql: "\(OutboxEntry.selectSQL) ORDER BY seq").map(OutboxEntry.init(row:)) }
    }

    func outboxCounts() async throws(TideClientError) -> (pending: Int, parked: Int) {
        try await read { db in
            let parked = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE state = 'parked'") ?? 0
            let all = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox") ?? 0
            return (all - parked, parked)
        }
    }

    /// Sends a parked entry again.
    func retryEntry(_ id: Int64) async throws(TideClientError) {
        try await write { db in
            guard var entry = try Row.fetchOne(db, sql: "\(OutboxEntry.selectSQL) WHERE seq = ?", arguments: [id]).map(OutboxEntry.init(row:))
            else { throw TideClientError.notFound("outbox entry \(id)") }
            do {
                try entry.retry()
            } catch {
                throw TideClientError.invalidArgument("outbox entry \(id) is \(entry.state.rawValue), not parked")
            }
            try Self.update(db, entry)
        }
    }

    /// Drops a parked entry and the writes queued behind it for the same record (they were
    /// made on top of it): the record goes back to the server's copy.
    func discardEntry(_ id: Int64) async throws(TideClientError) {
        let tables = self.tables
        try await write { db in
            guard let entry = try Row.fetchOne(db, sql: "\(OutboxEntry.selectSQL) WHERE seq = ?", arguments: [id]).map(OutboxEntry.init(row:))
            else { throw TideClientError.notFound("outbox entry \(id)") }
            guard entry.canDiscard else {
                throw TideClientError.invalidArgument("outbox entry \(id) is \(entry.state.rawValue); only a parked entry can be discarded")
            }
            try db.execute(
                sql: "DELETE FROM outbox WHERE model = ? AND record_id = ? AND seq >= ?", arguments: [entry.model, entry.recordID, id])
            if let table = tables[entry.model] { try Self.recompute(db, table, entry.recordID) }
        }
    }

    func conflictRecords() async throws(TideClientError) -> [ConflictRecord] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, at, model, record_id, op, local_version, server_version, strategy, outcome, detail
                    FROM conflicts ORDER BY seq
                    """
            ).map {
                ConflictRecord(
                    id: $0[0], at: $0[1], model: $0[2], recordID: $0[3], operation: $0[4], localVersion: $0[5], serverVersion: $0[6],
                    strategy: $0[7], outcome: $0[8], detail: $0[9])
            }
        }
    }
}

/// A record's identity across models.
struct RecordKey: Hashable, Sendable {
    var model: String
    var id: String

    init(model: String, id: String) {
        self.model = model
        self.id = id
    }

    init(_ entry: OutboxEntry) {
        self.init(model: entry.model, id: entry.recordID)
    }
}
