import TideSQLite

extension NotificationStore {
    private static let deliveryColumns = #""id", "seq", "rule", "endpoint_id", "user_id", "channel", "state", "attempts", "in_flight", "next_attempt_at", "last_error", "provider_message_id", "created_at", "updated_at""#

    /// Writes new ledger rows and the events they deliver in one transaction, with the fan-out's
    /// feed position when given; a row whose (seq, rule, endpoint) exists is left as it is (a feed
    /// entry applied again). Returns how many rows were new.
    @discardableResult
    public func enqueue(_ rows: [DeliveryRow], events: [Int64: String] = [:], position: Int64? = nil) throws(SQLiteError) -> Int {
        try write { connection throws(SQLiteError) -> Int in
            for (seq, event) in events {
                _ = try connection.run(#"INSERT OR IGNORE INTO "events"("seq", "event") VALUES (?, ?)"#, [.int(seq), .text(event)])
            }
            if let position {
                _ = try connection.run(
                    #"INSERT INTO "fanout_position"("id", "seq") VALUES (1, ?) ON CONFLICT("id") DO UPDATE SET "seq" = excluded."seq""#,
                    [.int(position)])
            }
            var inserted = 0
            for row in rows {
                inserted += try connection.run(
                    #"INSERT OR IGNORE INTO "deliveries"(\#(Self.deliveryColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"#,
                    Self.bindings(row))
            }
            return inserted
        }
    }

    /// Stores a row's new progress (after a transition of ``DeliveryStateMachine``).
    public func update(_ id: String, _ progress: DeliveryProgress, now: Int64) throws(SQLiteError) {
        try write { connection throws(SQLiteError) in try Self.update(connection, id, progress, now: now) }
    }

    /// Stores a row's new progress like ``update(_:_:now:)``, in one transaction with the updates
    /// other attempts submit meanwhile (a group commit: one sync of the file for many rows), and
    /// returns once it is durable. A failed transaction fails every update in it; none is stored.
    public func commitUpdate(_ id: String, _ progress: DeliveryProgress, now: Int64) async throws(SQLiteError) {
        let result = await withCheckedContinuation { (committed: CheckedContinuation<Result<Void, SQLiteError>, Never>) in
            let flush = pendingUpdates.withLock { pending in
                pending.updates.append(.init(id: id, progress: progress, now: now, committed: committed))
                guard !pending.flushing else { return false }
                pending.flushing = true
                return true
            }
            if flush { Task { self.flushUpdates() } }
        }
        try result.get()
    }

    /// Commits the waiting updates, batch after batch, until none is left.
    private func flushUpdates() {
        while true {
            let batch = pendingUpdates.withLock { pending in
                let batch = pending.updates
                pending.updates = []
                if batch.isEmpty { pending.flushing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let result: Result<Void, SQLiteError>
            do {
                try write { connection throws(SQLiteError) in
                    for update in batch { try Self.update(connection, update.id, update.progress, now: update.now) }
                }
                result = .success(())
            } catch {
                result = .failure(error)
            }
            for update in batch { update.committed.resume(returning: result) }
        }
    }

    private static func update(_ connection: Connection, _ id: String, _ progress: DeliveryProgress, now: Int64) throws(SQLiteError) {
        _ = try connection.run(
            """
            UPDATE "deliveries" SET "state" = ?, "attempts" = ?, "in_flight" = ?, "next_attempt_at" = ?,
              "last_error" = ?, "provider_message_id" = ?, "updated_at" = ? WHERE "id" = ?
            """,
            [
                .text(progress.state.rawValue), .int(Int64(progress.attempts)), .int(progress.inFlight ? 1 : 0),
                progress.nextAttemptAt.map(SQLBinding.int) ?? .null, progress.lastError.map(SQLBinding.text) ?? .null,
                progress.providerMessageId.map(SQLBinding.text) ?? .null, .int(now), .text(id),
            ])
    }

    /// The feed position the fan-out has applied through; nil before its first batch.
    public func fanoutPosition() throws(SQLiteError) -> Int64? {
        try read { connection throws(SQLiteError) in
            try connection.queryFirst(#"SELECT "seq" FROM "fanout_position" WHERE "id" = 1"#) { $0.int64(0) }
        }
    }

    /// The event JSON of a feed entry that has deliveries.
    public func event(seq: Int64) throws(SQLiteError) -> String? {
        try read { connection throws(SQLiteError) in
            try connection.queryFirst(#"SELECT "event" FROM "events" WHERE "seq" = ?"#, [.int(seq)]) { $0.text(0) }
        }
    }

    public func delivery(id: String) throws(SQLiteError) -> DeliveryRow? {
        try read { connection throws(SQLiteError) in try Self.deliveries(connection, where: #""id" = ?"#, [.text(id)]).first }
    }

    /// Open rows (pending, retrying, deferred) that are not in flight and due by `now`, oldest first.
    public func dueDeliveries(now: Int64, limit: Int) throws(SQLiteError) -> [DeliveryRow] {
        try read { connection throws(SQLiteError) in
            try Self.deliveries(
                connection,
                where: #""state" IN ('pending', 'retrying', 'deferred') AND "in_flight" = 0 AND ifnull("next_attempt_at", 0) <= ? ORDER BY "seq", "id" LIMIT ?"#,
                [.int(now), .int(Int64(limit))])
        }
    }

    /// When the next open row falls due (nil: none is waiting).
    public func nextDueTime() throws(SQLiteError) -> Int64? {
        try read { connection throws(SQLiteError) in
            try connection.queryFirst(
                #"SELECT min(ifnull("next_attempt_at", 0)) FROM "deliveries" WHERE "state" IN ('pending', 'retrying', 'deferred') AND "in_flight" = 0"#
            ) { $0.optionalInt64(0) } ?? nil
        }
    }

    /// Rows an attempt was under way on when the server stopped.
    public func inFlightDeliveries() throws(SQLiteError) -> [DeliveryRow] {
        try read { connection throws(SQLiteError) in try Self.deliveries(connection, where: #""in_flight" = 1 ORDER BY "seq", "id""#, []) }
    }

    /// Rows by state and rule (both optional), oldest first: `tidewater deliveries list`.
    public func deliveries(state: DeliveryState? = nil, rule: String? = nil, limit: Int = 10_000) throws(SQLiteError) -> [DeliveryRow] {
        try read { connection throws(SQLiteError) in
            try Self.deliveries(
                connection, where: #"(? IS NULL OR "state" = ?) AND (? IS NULL OR "rule" = ?) ORDER BY "seq", "id" LIMIT ?"#,
                [
                    state.map { .text($0.rawValue) } ?? .null, state.map { .text($0.rawValue) } ?? .null,
                    rule.map(SQLBinding.text) ?? .null, rule.map(SQLBinding.text) ?? .null, .int(Int64(limit)),
                ])
        }
    }

    /// How many rows are in each state (metrics: queue depth).
    public func countsByState() throws(SQLiteError) -> [DeliveryState: Int] {
        try read { connection throws(SQLiteError) in
            var counts: [DeliveryState: Int] = [:]
            try connection.query(#"SELECT "state", count(*) FROM "deliveries" GROUP BY "state""#) { row throws(SQLiteError) in
                if let state = DeliveryState(rawValue: row.text(0)) { counts[state] = Int(row.int64(1)) }
            }
            return counts
        }
    }

    /// How many rows are open (pending, retrying, deferred), by state: the queue depth. Reads
    /// only the open rows' part of the state index.
    public func openCounts() throws(SQLiteError) -> [DeliveryState: Int] {
        try read { connection throws(SQLiteError) in
            var counts: [DeliveryState: Int] = [:]
            try connection.query(
                #"SELECT "state", count(*) FROM "deliveries" WHERE "state" IN ('pending', 'retrying', 'deferred') GROUP BY "state""#
            ) { row throws(SQLiteError) in
                if let state = DeliveryState(rawValue: row.text(0)) { counts[state] = Int(row.int64(1)) }
            }
            return counts
        }
    }

    /// When deliveries of `rule` to `userId` were sent since `since` (epoch ms): a rate cap's window.
    public func sendTimes(rule: String, userId: String, since: Int64) throws(SQLiteError) -> [Int64] {
        try read { connection throws(SQLiteError) in
            var times: [Int64] = []
            try connection.query(
                #"SELECT "updated_at" FROM "deliveries" WHERE "rule" = ? AND "user_id" = ? AND "state" = 'sent' AND "updated_at" > ?"#,
                [.text(rule), .text(userId), .int(since)]
            ) { row throws(SQLiteError) in times.append(row.int64(0)) }
            return times
        }
    }

    private static func bindings(_ row: DeliveryRow) -> [SQLBinding] {
        let p = row.progress
        return [
            .text(row.id), .int(row.seq), .text(row.rule), .text(row.endpointId), .text(row.userId), .text(row.channel.rawValue),
            .text(p.state.rawValue), .int(Int64(p.attempts)), .int(p.inFlight ? 1 : 0), p.nextAttemptAt.map(SQLBinding.int) ?? .null,
            p.lastError.map(SQLBinding.text) ?? .null, p.providerMessageId.map(SQLBinding.text) ?? .null,
            .int(row.createdAt), .int(row.updatedAt),
        ]
    }

    private static func deliveries(_ connection: Connection, where condition: String, _ bindings: [SQLBinding]) throws(SQLiteError) -> [DeliveryRow] {
        var result: [DeliveryRow] = []
        try connection.query(#"SELECT \#(deliveryColumns) FROM "deliveries" WHERE \#(condition)"#, bindings) { row throws(SQLiteError) in
            result.append(
                DeliveryRow(
                    id: row.text(0), seq: row.int64(1), rule: row.text(2), endpointId: row.text(3), userId: row.text(4),
                    channel: NotificationChannel(rawValue: row.text(5)) ?? .webhook,
                    progress: DeliveryProgress(
                        state: DeliveryState(rawValue: row.text(6)) ?? .dead, attempts: Int(row.int64(7)),
                        nextAttemptAt: row.optionalInt64(9), inFlight: row.int64(8) != 0, lastError: row.optionalText(10),
                        providerMessageId: row.optionalText(11)),
                    createdAt: row.int64(12), updatedAt: row.int64(13)))
        }
        return result
    }
}
