import Foundation
import TideStore

/// The engine's ``SearchService`` over the search index this package maintains: queries run in
/// the store against the live records with the index attached, and read-your-writes waits on
/// the indexer's runner. The server builds one and hands it to the engine.
///
/// ```swift
/// let indexer = try SearchIndexer(store: store, schema: schema, directory: dataDirectory)
/// let runner = FeedConsumerRunner(consumer: indexer, store: store)
/// let engine = try GraphQLEngine(schema: schema, store: store, search: FullTextSearch(store: store, indexer: indexer, runner: runner), …)
/// ```
public struct FullTextSearch: SearchService {
    let store: Store
    let indexPath: String
    let runner: FeedConsumerRunner

    public init(store: Store, indexer: SearchIndexer, runner: FeedConsumerRunner) {
        self.store = store
        self.indexPath = indexer.path
        self.runner = runner
    }

    public func search(model: String, query: SearchQuery, now: Date) throws(StoreError) -> SearchPage {
        try store.search(model: model, query: query, indexPath: indexPath, now: now)
    }

    public func waitUntilIndexed(_ seq: Int64, timeout: Duration) async -> Bool {
        await runner.waitUntilApplied(seq, timeout: timeout)
    }
}
