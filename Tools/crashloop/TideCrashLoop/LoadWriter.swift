import Foundation
import TideModel
import TideTestSupport

/// One client writing records of one model as one user, one request at a time, until the
/// server stops answering: creates, updates (a quarter of them from a stale `_version`, which
/// AUTOMERGE merges and OPTIMISTIC_CONCURRENCY refuses) and deletes. Every answer goes into
/// the ledger; a request without an answer is counted as unanswered for its record.
struct LoadWriter: Sendable {
    var user: String
    var client: GraphQLClient
    var model: CrashModel
    /// The writer's records' ids start with it, so no two writers share a record.
    var prefix: String
    var ledger: Ledger
    var report: RunReport

    /// Writes until the server stops answering; `iteration` keeps ids unique across restarts.
    func run(seed: UInt64, stream: UInt64, iteration: Int) async {
        var random = SplitMix64(seed: seed, stream: stream)
        var created = 0
        while !Task.isCancelled {
            let records = ledger.writable(model, prefix: prefix)
            let roll = Double.random(in: 0..<1, using: &random)
            let answered: Bool
            if records.count < 3 || roll < 0.4 {
                let id = "\(prefix)i\(iteration)-\(created)"
                created += 1
                answered = await create(id, title: "\(id) v1")
            } else {
                let (id, version) = records[Int.random(in: 0..<records.count, using: &random)]
                if roll < 0.85 {
                    let stale = version > 1 && Double.random(in: 0..<1, using: &random) < 0.25
                    answered = await update(id, version: stale ? version - 1 : version, title: "\(id) v\(version + 1)", stale: stale)
                } else {
                    answered = await delete(id, version: version)
                }
            }
            if !answered { return }
        }
    }

    private func create(_ id: String, title: String) async -> Bool {
        var input = model.createExtras
        input["id"] = .string(id)
        input["title"] = .string(title)
        return await send(
            .create, id,
            "mutation W($input: Create\(model.rawValue)Input!) { create\(model.rawValue)(input: $input) { id _version title } }",
            input: .object(input))
    }

    private func update(_ id: String, version: Int64, title: String, stale: Bool) async -> Bool {
        await send(
            .update, id,
            "mutation W($input: Update\(model.rawValue)Input!) { update\(model.rawValue)(input: $input) { id _version title } }",
            input: ["id": .string(id), "_version": .int(version), "title": .string(title)], stale: stale)
    }

    private func delete(_ id: String, version: Int64) async -> Bool {
        await send(
            .delete, id,
            "mutation W($input: Delete\(model.rawValue)Input!) { delete\(model.rawValue)(input: $input) { id _version _deleted } }",
            input: ["id": .string(id), "_version": .int(version)])
    }

    /// Sends one write and books its answer; false when no answer came (the server is gone).
    private func send(_ operation: CrashOperation, _ id: String, _ mutation: String, input: JSONValue, stale: Bool = false) async -> Bool {
        let key = RecordKey(model: model, id: id)
        let reply: HTTPClient.Reply
        do {
            reply = try await client.post(mutation, variables: ["input": input])
        } catch {
            ledger.unanswered(key, owner: user)
            return false
        }
        let field = "\(operation.rawValue.lowercased())\(model.rawValue)"
        if let errors = reply.json["errors"] {
            let code = errors.arrayValue?.first?["extensions"]?["code"]?.stringValue
            if stale && model == .post && code == "ConflictUnhandled" {
                report.rejected()  // OPTIMISTIC_CONCURRENCY refuses the stale version, as it should
            } else {
                report.problem("\(operation.rawValue.lowercased()) \(key) answered HTTP \(reply.status): \(errors.jsonString.prefix(300))")
            }
            return true
        }
        guard let record = reply.json["data"]?[field], let version = record["_version"]?.intValue,
            let feedHead = reply.json["extensions"]?["seq"]?.intValue
        else {
            report.problem("\(operation.rawValue.lowercased()) \(key): an answer without _version or extensions.seq: \(reply.text.prefix(300))")
            return true
        }
        ledger.acknowledge(
            Acknowledgement(key: key, operation: operation, version: version, feedHead: feedHead, owner: user),
            title: record["title"]?.stringValue)
        report.acknowledged()
        return true
    }
}
