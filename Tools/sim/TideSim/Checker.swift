import TideModel

/// What the checker compares at the end of a run, once every client is online and its outbox
/// has been sent (ARCHITECTURE §9.1's promises, Tools/sim/README.md for the exact rules).
struct FinalState: Sendable {
    struct Client: Sendable {
        var user: Int
        /// `tide query MODEL --json`, by id.
        var records: [SimModel: [String: JSONValue]]
        /// `tide conflicts --json`: (model, id, outcome) of each recorded resolution.
        var conflicts: [(model: String, id: String, outcome: String)]
        /// Parked entries the finale discarded, with their reasons.
        var discarded: [Parked]
        /// `tide outbox --json` after the finale (must be empty).
        var outbox: [JSONValue]
    }

    struct Parked: Sendable {
        var model: String
        var id: String
        var reason: String
    }

    var clients: [Client]
    /// Per user: what a base `syncTasks`/`syncPosts` as that user returns, by id.
    var server: [[SimModel: [String: JSONValue]]]
}

enum Checker {
    /// The fields compared between a client's copy and the server's.
    static func fields(_ model: SimModel) -> [String] {
        switch model {
        case .task: ["id", "_version", "title", "status", "labels"]
        case .post: ["id", "_version", "title", "status", "content"]
        }
    }

    /// The words a record's writes added: a task's labels, a post's content.
    static func tokens(_ record: JSONValue, _ model: SimModel) -> [String] {
        switch model {
        case .task: record["labels"]?.arrayValue?.compactMap(\.stringValue) ?? []
        case .post: (record["content"]?.stringValue ?? "").split(separator: " ").map(String.init)
        }
    }

    /// A parked entry the schedule produces: an update of another user's post, which the
    /// server refuses (FORBIDDEN), on purpose; a create of the user's shared record that found
    /// its id held by a tombstone (another device deleted the record meanwhile).
    static func isExplained(_ parked: FinalState.Parked, client: Int, clients: Int, _ ledger: Ledger) -> Bool {
        guard let model = SimModel(rawValue: parked.model) else { return false }
        let key = Ledger.Key(model: model, id: parked.id)
        if parked.reason.contains("taken by a deleted record") { return ledger.wasDeleted(key) }
        guard model == .post, parked.reason.contains("FORBIDDEN"), let owner = ledger.owner(of: key, clients: clients) else { return false }
        return owner != Schedule.user(ofClient: client, clients: clients)
    }

    /// Every violated rule, one line each.
    static func problems(_ final: FinalState, _ ledger: Ledger) -> [String] {
        var problems: [String] = []

        // No outbox wedged.
        for (c, client) in final.clients.enumerated() {
            for parked in client.discarded where !isExplained(parked, client: c, clients: final.clients.count, ledger) {
                problems.append("c\(c): entry of \(parked.model) \(parked.id) parked: \(parked.reason)")
            }
            if !client.outbox.isEmpty {
                problems.append("c\(c): outbox not empty after the final syncs: \(JSONValue.array(client.outbox).jsonString.prefix(400))")
            }
        }

        // Convergence: each client holds exactly what the server lets its user read.
        for (c, client) in final.clients.enumerated() {
            for model in SimModel.allCases {
                let local = client.records[model] ?? [:]
                let server = final.server[client.user][model] ?? [:]
                for id in Set(local.keys).union(server.keys).sorted() {
                    let mine = local[id].map { project($0, model) }
                    let theirs = server[id].map { project($0, model) }
                    if mine != theirs {
                        problems.append(
                            "c\(c) (u\(client.user)) \(model.rawValue) \(id) differs: local \(mine?.jsonString ?? "absent"), server \(theirs?.jsonString ?? "absent")")
                    } else if local[id]?["_pending"]?.boolValue == true {
                        problems.append("c\(c) \(model.rawValue) \(id) still has pending writes")
                    }
                }
            }
        }

        // No accepted write lost.
        for (key, writes) in ledger.byRecord.sorted(by: { $0.key < $1.key }) {
            guard let owner = ledger.owner(of: key, clients: final.clients.count) else {
                problems.append("\(key.model.rawValue) \(key.id): written (\(writes.map(describe).joined(separator: ", "))) but its create was not accepted")
                continue
            }
            let server = final.server[owner][key.model]?[key.id]
            let deletes = writes.filter { $0.kind == .delete }
            let name = "\(key.model.rawValue) \(key.id)"
            func conflicted(_ client: Int, _ outcome: String) -> Bool {
                final.clients[client].conflicts.contains { $0.model == key.model.rawValue && $0.id == key.id && $0.outcome == outcome }
            }
            func discarded(_ client: Int) -> Bool {
                final.clients[client].discarded.contains { $0.model == key.model.rawValue && $0.id == key.id }
            }
            if deletes.isEmpty, server == nil {
                problems.append("\(name): created (\(describe(writes[0]))), never deleted, absent on the server")
            }
            if !deletes.isEmpty, server != nil {
                // A delete loses to a concurrent update only where the server wins (OPTIMISTIC_CONCURRENCY), and is recorded.
                let kept = key.model == .post && deletes.contains { conflicted($0.client, "server kept") }
                if !kept { problems.append("\(name): deleted (\(deletes.map(describe).joined(separator: ", "))) but still on the server") }
            }
            guard let server else { continue }
            let present = Set(tokens(server, key.model))
            for write in writes {
                guard let token = write.token, !present.contains(token) else { continue }
                // A write the server refused (server wins) or the finale discarded is recorded on
                // its client; a later update made on a stale read of the simulator's own
                // get-then-save replaced the words it had not seen.
                let accounted = (key.model == .post && conflicted(write.client, "server kept")) || discarded(write.client)
                    || writes.contains { $0.staleRead && $0.step > write.step }
                if !accounted { problems.append("\(name): \(describe(write)) is lost (server has \(project(server, key.model).jsonString))") }
            }
            let accepted = Set(writes.compactMap(\.token))
            for token in present.subtracting(accepted).sorted() {
                problems.append("\(name): the server has +\(token), which no accepted write of this record added")
            }
        }
        // Records the server has that no accepted create made.
        for (user, models) in final.server.enumerated() {
            for (model, records) in models {
                for id in records.keys.sorted() where ledger.byRecord[Ledger.Key(model: model, id: id)] == nil {
                    problems.append("u\(user) reads \(model.rawValue) \(id), which no accepted write made")
                }
            }
        }
        return problems
    }

    static func project(_ record: JSONValue, _ model: SimModel) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: fields(model).map { ($0, record[$0] ?? .null) }))
    }

    static func describe(_ write: Ledger.Write) -> String {
        "\(write.kind.rawValue)\(write.token.map { " +\($0)" } ?? "") by c\(write.client) at step \(write.step)"
    }
}
