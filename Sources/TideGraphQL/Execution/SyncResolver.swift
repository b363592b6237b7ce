import Foundation
import TideModel
import TideSchema
import TideStore

/// `syncXs(filter, limit, nextToken, lastSync)`: delta sync (ARCHITECTURE §4).
///
/// Exactness comes from one cut-off per sync: `startedAt` is taken from the store's stamp clock
/// when the first page is read, so every change stamped at or below it is committed and every
/// later change stamps above it (`StampClock`). Every page of this sync reads changes in
/// (`lastSync`, `startedAt`] in id order, a set that writes can leave (they move above the
/// cut) but never enter: no change is missed and none is delivered twice.
///
/// Two phases: the changed records the caller may read now (read rules pushed into SQL,
/// tombstones included in a delta), then — when the read rules depend on the record — the
/// records the caller could read at `lastSync` but no longer can (owner changed, dynamic group
/// removed), as tombstones carrying their last readable image, found through the change feed.
extension Resolvers {
    private enum Phase: String {
        case records = "r", removals = "x"
    }

    private struct SyncState {
        var startedAt: Int64
        var lastSync: Int64?
        var phase: Phase = .records
        var cursor: Cursor?
        var lastRemovalID: String?
        /// Why a requested delta became a base sync (nil: none was requested, or it is a delta).
        var baseReason: String?

        var isBase: Bool { lastSync == nil }

        var json: JSONValue {
            [
                "s": .int(startedAt), "l": lastSync.map(JSONValue.int) ?? .null, "p": .string(phase.rawValue),
                "c": cursor.map(PageTokenCodec.json) ?? .null, "x": lastRemovalID.map(JSONValue.string) ?? .null,
                "r": baseReason.map(JSONValue.string) ?? .null,
            ]
        }

        init(startedAt: Int64, lastSync: Int64?, baseReason: String?) {
            self.startedAt = startedAt
            self.lastSync = lastSync
            self.baseReason = baseReason
        }

        init?(_ json: JSONValue) {
            guard case .int(let startedAt)? = json["s"], case .string(let phaseName)? = json["p"],
                let phase = Phase(rawValue: phaseName)
            else { return nil }
            self.startedAt = startedAt
            self.lastSync = json["l"]?.intValue
            self.phase = phase
            self.cursor = json["c"].flatMap(PageTokenCodec.cursor)
            self.lastRemovalID = json["x"]?.stringValue
            self.baseReason = json["r"]?.stringValue
        }
    }

    func sync(
        _ model: ModelType, arguments: [String: JSONValue], operation: GeneratedOperation, access: Authorization,
        clientFilter: FilterExpression?, limit: Int
    ) throws(GraphQLErrorBody) -> Resolution {
        let requirement = try access.requirement(.read)
        var state = try syncState(model, arguments: arguments, operation: operation, access: access)
        var items: [Record] = []
        var finished = false
        let redaction = access.redaction()

        if state.phase == .records {
            var conditions = [clientFilter, requirement].compactMap { $0 }
            conditions.append(.field(Record.MetaField.lastChangedAt, .le(.int(state.startedAt))))
            if let lastSync = state.lastSync { conditions.append(.field(Record.MetaField.lastChangedAt, .gt(.int(lastSync)))) }
            let query = ListQuery(filter: .and(conditions), limit: limit, after: state.cursor, includeDeleted: !state.isBase)
            let page = try storeCall { () throws(StoreError) in try store.list(model: model.name, query: query) }
            items = page.records.map(redaction.apply)
            if let next = page.next {
                state.cursor = next
            } else if !state.isBase, requirement != nil {
                state.phase = .removals
                state.cursor = nil
            } else {
                finished = true
            }
        } else if let lastSync = state.lastSync, let requirement {
            let summaries = try storeCall { () throws(StoreError) in
                try store.changeSummaries(
                    model: model.name, after: lastSync, upTo: state.startedAt, afterID: state.lastRemovalID, limit: limit)
            }
            for summary in summaries {
                guard let before = summary.before, FilterEvaluator.matches(requirement, before),
                    !(summary.after.map { FilterEvaluator.matches(requirement, $0) } ?? false)
                else { continue }
                items.append(redaction.apply(Self.removal(of: summary, before: before, model: model)))
            }
            state.lastRemovalID = summaries.last?.id
            finished = summaries.count < limit
        } else {
            finished = true
        }

        return Resolution(
            .connection(
                .init(
                    items: items, nextToken: finished ? nil : tokens.seal(state.json, operation: operation.fieldName),
                    startedAt: state.startedAt)),
            baseSyncReason: state.baseReason)
    }

    /// The state of a continuing sync from its token, or a new one: the cut-off, and whether a
    /// requested delta can be exact or must become a base sync.
    private func syncState(
        _ model: ModelType, arguments: [String: JSONValue], operation: GeneratedOperation, access: Authorization
    ) throws(GraphQLErrorBody) -> SyncState {
        if case .string(let token)? = arguments["nextToken"] {
            guard let json = tokens.open(token, operation: operation.fieldName), let state = SyncState(json) else {
                throw GraphQLErrorBody(message: "Invalid nextToken.", code: .badUserInput)
            }
            return state
        }
        let now = Date()
        var lastSync = arguments["lastSync"]?.intValue
        if let given = lastSync, given < 0 || given > Int64(now.timeIntervalSince1970 * 1000) + 60_000 {
            throw GraphQLErrorBody(
                message: "lastSync must be the startedAt (epoch milliseconds) of an earlier sync.", code: .badUserInput)
        }
        var reason: String?
        if let given = lastSync, given < store.deltaSyncHorizon(now: now) {
            lastSync = nil
            reason = "lastSync is older than the retention of tombstones and the change feed"
        } else if let given = lastSync, let restore = store.restorePoint, given < restore.restoredAt {
            // The client may hold changes the restore threw away (RestorePoint): start over.
            lastSync = nil
            reason = "the server's data was restored from a backup taken at \(Self.iso8601(restore.backupTakenAt))"
        } else if let given = lastSync, let user = access.principal.user, user.groupsChangedAt > given {
            // Records readable through a group the caller has left did not change, so no delta
            // would name them: start over, and the client keeps only what this sync returns.
            lastSync = nil
            reason = "the caller's groups changed since lastSync"
        }
        return SyncState(startedAt: max(store.syncCutoff(), lastSync ?? 0), lastSync: lastSync, baseReason: reason)
    }

    /// Epoch milliseconds as ISO 8601 (UTC), for messages.
    private static func iso8601(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }

    /// A removal: the last image the caller could read, as a tombstone at the record's current
    /// version, so the client drops its copy.
    private static func removal(of summary: ChangeSummary, before: [String: JSONValue], model: ModelType) -> Record {
        let latest = summary.after ?? before
        var fields = before
        let meta = [
            Record.MetaField.id, Record.MetaField.version, Record.MetaField.deleted, Record.MetaField.lastChangedAt,
            model.createdAtField ?? "", model.updatedAtField ?? "",
        ]
        for key in meta { fields[key] = nil }
        return Record(
            id: summary.id, version: latest[Record.MetaField.version]?.intValue ?? 0, deleted: true,
            lastChangedAt: latest[Record.MetaField.lastChangedAt]?.intValue ?? 0,
            createdAt: model.createdAtField.flatMap { before[$0]?.stringValue } ?? "",
            updatedAt: model.updatedAtField.flatMap { latest[$0]?.stringValue } ?? "",
            fields: fields)
    }
}
