import ArgumentParser
import Foundation
import TideClient
import TideModel

struct Save: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or update a record locally and queue the write (create when the id is new or absent).")

    @Argument(help: "The model, e.g. Note.") var model: String
    @Argument(help: "The record as a JSON object; only the fields given change.") var record: String

    func run() async throws {
        guard case .object(let fields) = try parseJSONArgument(record, what: "the record") else {
            throw CLIFailure.usage("the record must be a JSON object")
        }
        let client = try await Profile.current.signedInClient()
        Output.record(try await client.save(model, fields).json)
    }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a record locally and queue the delete.")

    @Argument var model: String
    @Argument var id: String

    func run() async throws {
        let client = try await Profile.current.signedInClient()
        try await client.delete(model, id: id)
        if Output.json { Output.printJSON(["deleted": .string(id), "model": .string(model)]) } else { Output.line("deleted \(model) \(id)") }
    }
}

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the local record (exit 1 when absent).")

    @Argument var model: String
    @Argument var id: String

    func run() async throws {
        let client = try await Profile.current.signedInClient()
        guard let record = try await client.get(model, id: id) else { throw CLIFailure.failed("\(model) \"\(id)\" not found") }
        Output.record(record.json)
    }
}

struct Query: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Local records matching a filter (the Amplify filter input).")

    @Argument var model: String
    @Option(help: "An Amplify filter input, e.g. '{\"priority\": {\"ge\": 2}}'.") var filter: String?
    @Option(help: "FIELD[:asc|desc]; repeat for more keys.") var sort: [String] = []
    @Option(help: "At most this many records.") var limit: Int?

    func run() async throws {
        let filterValue = try filter.map { try parseJSONArgument($0, what: "--filter") }
        if let limit, limit < 0 { throw CLIFailure.usage("--limit must not be negative") }
        let keys = try sort.map { text throws(TideClientError) in try SortKey(parsing: text) }
        let client = try await Profile.current.signedInClient()
        let records = try await client.query(model, filter: filterValue, sort: keys, limit: limit)
        if Output.json {
            Output.printJSON(.array(records.map(\.json)))
            return
        }
        // The model's fields that hold a value in some record: a column empty in every row says nothing.
        let fields = (client.schema.flatMap { try? $0.fieldNames(of: model) } ?? []).filter { name in
            records.contains { !($0[name] ?? .null).isNull }
        }
        let rows = records.map { record in
            [record.id] + fields.map { Output.cell(record[$0]) } + [record.version.map(String.init) ?? "", record.hasPendingChanges ? "yes" : ""]
        }
        Output.table(["id"] + fields + ["_version", "pending"], rows)
        Output.note(Output.dim("\(records.count) record\(records.count == 1 ? "" : "s")"))
    }
}
