import GRDB
import TideModel

/// Sync cursors: each model's `lastSync` (with the predicate it was taken under) and the seq
/// subscriptions resume from.
extension LocalStore {
    struct ModelSyncState: Sendable, Hashable {
        var lastSync: Int64?
        /// The sync predicate's filter input (JSON text) the cursor belongs to; "" for none.
        var predicate: String
    }

    func syncState(model: String) async throws(TideClientError) -> ModelSyncState? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT last_sync, predicate FROM sync_state WHERE model = ?", arguments: [model]).map {
                ModelSyncState(lastSync: $0[0], predicate: $0[1] ?? "")
            }
        }
    }

    func setSyncState(model: String, _ state: ModelSyncState) async throws(TideClientError) {
        try await write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO sync_state (model, last_sync, predicate) VALUES (?, ?, ?)",
                arguments: [model, state.lastSync, state.predicate])
        }
    }

    /// The seq of the last subscription event applied, or nil.
    func resumeSeq() async throws(TideClientError) -> Int64? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'resumeSeq'").flatMap { Int64($0) }
        }
    }

    func setResumeSeq(_ seq: Int64?) async throws(TideClientError) {
        try await write { db in
            if let seq {
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('resumeSeq', ?)", arguments: [String(seq)])
            } else {
                try db.execute(sql: "DELETE FROM meta WHERE key = 'resumeSeq'")
            }
        }
    }

    /// Per model: the live records and the last sync (`tide status`).
    func modelSummaries() async throws(TideClientError) -> [(model: String, records: Int, lastSync: Int64?)] {
        let tables = schema.models.compactMap { self.tables[$0.name] }
        return try await read { db in
            try tables.map { table in
                let count = try Int.fetchOne(
                    db, sql: "SELECT count(*) FROM \(ModelTable.quote(table.tableName)) WHERE \"$deleted\" = 0") ?? 0
                let last = try Int64.fetchOne(db, sql: "SELECT last_sync FROM sync_state WHERE model = ?", arguments: [table.model.name])
                return (table.model.name, count, last)
            }
        }
    }

    /// A number that changes whenever another connection (another process) commits: polled by
    /// long-running clients to notice writes made by `tide save` beside them.
    func dataVersion() throws(TideClientError) -> Int64 {
        do {
            // The writer connection sees other connections' commits; its own are counted by GRDB.
            return try pool.writeWithoutTransaction { try Int64.fetchOne($0, sql: "PRAGMA data_version") ?? 0 }
        } catch {
            throw .localStore("\(error)")
        }
    }
}
