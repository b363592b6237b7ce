import Foundation
import Logging
import TideModel
import TideStore
import Testing

/// Opens a store on a fresh temporary folder, runs `body`, closes the store and removes the folder.
func withStore<T>(
    schema: AppSchema = TestSchema.schema, durability: Durability = .full, maxBatchSize: Int = 512,
    _ body: (Store) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    let store = try openStore(directory, schema: schema, durability: durability, maxBatchSize: maxBatchSize)
    defer { store.close() }
    return try await body(store)
}

func openStore(
    _ directory: TemporaryDirectory, schema: AppSchema = TestSchema.schema, durability: Durability = .full,
    maxBatchSize: Int = 512
) throws -> Store {
    var configuration = StoreConfiguration(directory: directory.path, durability: durability)
    configuration.maxBatchSize = maxBatchSize
    var logger = Logger(label: "tidewater.store.tests")
    logger.logLevel = .warning
    return try Store(schema: schema, configuration: configuration, logger: logger)
}

/// Every record of a listing, following cursors to the end.
func listAll(_ store: Store, model: String, query: ListQuery, now: Date = Date(), maxPages: Int = 10_000) throws -> [Record] {
    var query = query
    var records: [Record] = []
    for _ in 0..<maxPages {
        let page = try store.list(model: model, query: query, now: now)
        records += page.records
        guard let next = page.next else { return records }
        query.after = next
    }
    Issue.record("listing did not end within \(maxPages) pages")
    return records
}
