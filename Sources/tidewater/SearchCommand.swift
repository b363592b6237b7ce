import ArgumentParser
import Foundation
import TideFeed
import TideModel
import TideSchema
import TideServer
import TideStore

/// `tidewater search rebuild [--model X] --data DIR`.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Manage the full-text search index.", subcommands: [Rebuild.self])

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild the search index from the store (all @searchable models, or one). Safe while the server runs.")
        @Option(help: "Only this model.")
        var model: String?
        @Option(help: "The data folder.")
        var data: String = ServerConfiguration().dataDirectory
        @Option(help: "The annotated schema (SDL).")
        var schema: String = ServerConfiguration().schemaPath

        func run() async throws {
            bootstrapLogging(defaultLevel: .warning)
            do {
                let appSchema = try SchemaLoader.load(path: schema)
                if let model, appSchema.model(named: model)?.searchableFields == nil {
                    throw AdminFailure("\(model) is not a @searchable model of \(schema)")
                }
                let store = try Store(schema: appSchema, configuration: StoreConfiguration(directory: data))
                defer { store.close() }
                let indexer = try SearchIndexer(store: store, schema: appSchema, directory: data)
                let position = try await indexer.rebuild(models: model.map { [$0] })
                print("rebuilt \(model ?? "every @searchable model") at feed position \(position)")
            } catch let error as AdminFailure {
                FileHandle.standardError.write(Data("tidewater: \(error.message)\n".utf8))
                throw ExitCode(1)
            } catch {
                FileHandle.standardError.write(Data("tidewater: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
