import TideModel

/// Settles a refused write with the model's ``ConflictPolicy`` (ARCHITECTURE §9.1), bounded:
/// a write resolved and sent again `maxRetries` times is parked rather than tried forever.
struct ConflictResolver: Sendable {
    let strategy: ConflictPolicy
    let maxRetries: Int
    let description: ModelDescription

    /// `server` is the server's current record, or nil when it is deleted there (or no longer
    /// readable). `local` is the record as the app sees it.
    func resolve(_ entry: OutboxEntry, server: Record?, local: ClientRecord?) async -> (SendOutcome, PendingResolution) {
        let name = strategy.name
        func resolution(_ outcome: String, _ detail: String? = nil) -> PendingResolution {
            PendingResolution(strategy: name, outcome: outcome, detail: detail, serverVersion: server?.version)
        }
        // A send that reached the server before (its answer lost to a crash or a timeout) reads
        // as a conflict with our own write: the server already holds what we would send.
        if let server, entry.operation != .delete, entry.attempts > 1, Self.holds(server, entry.fields) {
            return (.acknowledged(server), resolution("acknowledged", "the server already holds this write (an earlier send landed)"))
        }
        guard entry.conflictRetries < maxRetries else {
            let reason = "unresolved conflict after \(entry.conflictRetries) resolutions (\(name))"
            return (.parked(reason: reason, server: server), resolution("parked", reason))
        }
        guard let server, !server.deleted else {
            return await deletedOnServer(entry, local: local, resolution: resolution)
        }
        switch strategy {
        case .serverWins:
            return (.dropped(server: server), resolution("server kept", "local \(entry.operation.rawValue) dropped"))
        case .clientWins:
            return (resend(entry, fields: entry.fields, on: server), resolution("resent", "on version \(server.version)"))
        case .merge:
            guard entry.operation != .delete else {
                return (resend(entry, fields: [:], on: server), resolution("resent", "delete on version \(server.version)"))
            }
            let merged = description.merger.merge(server: server.fields, incoming: entry.fields)
            let detail = merged.dropped.isEmpty ? "nothing dropped" : "dropped: " + merged.dropped.joined(separator: ", ")
            return (.resend(operation: .update, fields: merged.values, server: server), resolution("merged", detail))
        case .custom(let handler):
            let decision = await handler(conflict(entry, server: server, local: local))
            switch decision {
            case .merged(let fields):
                return (.resend(operation: .update, fields: fields, server: server), resolution("merged", "by the app's handler"))
            case .discard:
                return (.dropped(server: server), resolution("server kept", "discarded by the app's handler"))
            case .retry:
                return (resend(entry, fields: entry.fields, on: server), resolution("resent", "retried by the app's handler"))
            }
        }
    }

    private func deletedOnServer(
        _ entry: OutboxEntry, local: ClientRecord?, resolution: (String, String?) -> PendingResolution
    ) async -> (SendOutcome, PendingResolution) {
        if entry.operation == .delete { return (.settledDeleted, resolution("acknowledged", "already deleted on the server")) }
        let reason = "deleted on the server; a deleted record cannot be written again"
        switch strategy {
        case .serverWins, .merge:
            return (.settledDeleted, resolution("server kept", "deleted on the server; local \(entry.operation.rawValue) dropped"))
        case .clientWins:
            return (.parked(reason: reason, server: nil), resolution("parked", reason))
        case .custom(let handler):
            if await handler(conflict(entry, server: nil, local: local)) == .discard {
                return (.settledDeleted, resolution("server kept", "deleted on the server; discarded by the app's handler"))
            }
            return (.parked(reason: reason, server: nil), resolution("parked", reason))
        }
    }

    /// The same write again on the server's version (a create whose id was taken becomes an update).
    private func resend(_ entry: OutboxEntry, fields: [String: JSONValue], on server: Record) -> SendOutcome {
        .resend(operation: entry.operation == .delete ? .delete : .update, fields: fields, server: server)
    }

    private func conflict(_ entry: OutboxEntry, server: Record?, local: ClientRecord?) -> Conflict {
        Conflict(
            model: entry.model, id: entry.recordID, operation: entry.operation, localFields: entry.fields, local: local,
            server: server.map { $0.values(createdAtField: description.model.createdAtField, updatedAtField: description.model.updatedAtField) },
            retries: entry.conflictRetries)
    }

    /// Whether `record` has every value `fields` sets.
    static func holds(_ record: Record, _ fields: [String: JSONValue]) -> Bool {
        fields.allSatisfy { name, value in (record.fields[name] ?? .null) == value }
    }
}
