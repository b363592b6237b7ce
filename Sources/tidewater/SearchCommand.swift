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
            abstract: "Rebuild the search index from the store (all @searchable models, or one). Stop the server first: it rebuilds a model whose fields changed by itself at start.")
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
                // The running indexer and a rebuild's copy would race (a delete indexed before
                // the copy writes the record back leaves it in the index): one at a time.
                let lock: DataFolderLock
                do {
                    lock = try DataFolderLock(directory: data)
                } catch {
                    throw AdminFailure("\(error); stop it before a rebuild (a server rebuilds changed models itself at start)")
                }
                defer { withExtendedLifetime(lock) {} }
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
