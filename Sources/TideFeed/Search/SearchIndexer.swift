import Foundation
import Logging
import TideModel
import TideStore

/// Keeps the FTS5 index of every `@searchable` model exact (ARCHITECTURE §10.1): a
/// ``FeedConsumer`` writing `<data>/search.sqlite` in the layout ``SearchIndexLayout`` defines.
///
/// Exactly once: each batch is applied and the feed position stored (`_search_state`) in one
/// transaction of the index database, so a process killed mid-batch resumes where that
/// transaction left the file. The store's checkpoint row, saved by the runner afterwards, is
/// only the retention hold and never ahead of it. Each indexed record keeps the `_version` it
/// was indexed at, and an entry older than that changes nothing — which is what makes a rebuild
/// exact without a snapshot of the store: the rebuild notes the feed head, copies the live
/// records, and the entries after that head are then applied again harmlessly.
///
/// At start, a model whose `fields:` changed (or that is new) is rebuilt; a missing or
/// unreadable position rebuilds everything. `tidewater search rebuild` calls ``rebuild(models:)``
/// with the server stopped: run beside another process's indexer, a delete applied there before
/// the copy writes the record back would leave it indexed (docs/SEARCH.md, "Operating it").
public final class SearchIndexer: FeedConsumer {
    public let name = "search"
    public let batchSize = 1024
    /// Each batch costs a feed read, an index transaction and an FTS5 segment that later merges
    /// cost again: under the create load (16 connections, ~13,000 creates/s on two cores)
    /// applying every group commit on its own took 61 % of the create throughput, batches
    /// gathered over 100 ms take 24 % (500 ms: the same), for an index lag p99 of 0.15 s.
    public let batchWindow: Duration = .milliseconds(100)
    /// The index may lag (`minSeq` waits for it); the requests come first.
    public let priority = ConsumerPriority.background
    public let file: SearchIndexFile
    let store: Store
    let logger: Logger

    /// Opens (creating) the index file in `directory` with tables for `schema`'s searchable models.
    public init(store: Store, schema: AppSchema, directory: String, logger: Logger = Logger(label: "tidewater.search")) throws {
        self.store = store
        self.logger = logger
        file = try SearchIndexFile(
            directory: directory,
            layouts: schema.models.filter { $0.searchableFields != nil }.map(SearchIndexLayout.init(model:)))
    }

    public var path: String { file.path }

    // MARK: - FeedConsumer

    public func resume() async throws -> Int64? {
        guard try file.position() != nil else { return try await rebuild(models: nil) }
        if !file.changedModels.isEmpty {
            logger.info("search fields changed; rebuilding", metadata: ["models": "\(file.changedModels.sorted())"])
            try await rebuild(models: file.changedModels)
        }
        return try file.position()
    }

    public func apply(_ entries: [FeedEntry]) async throws {
        guard let last = entries.last else { return }
        try file.transaction { batch throws(StoreError) in
            for entry in entries {
                if entry.operation == .remove || entry.newImage?["_deleted"] == .bool(true) {
                    try batch.remove(model: entry.model, id: entry.id, version: entry.version)
                } else if let image = entry.newImage {
                    try batch.put(model: entry.model, id: entry.id, version: entry.version, fields: image)
                }
            }
            try batch.savePosition(last.seq)
        }
    }

    /// Entries were trimmed before the index applied them: rebuild everything.
    public func skip(from position: Int64, to available: Int64) async throws -> Int64 {
        try await rebuild(models: nil)
    }

    /// Rebuilds the given models (nil: all) from the store's live records; returns the position
    /// the index holds afterwards: the feed head noted before copying (or, for some models
    /// only, the lower position the others are at), so every change after it is applied again
    /// by the feed, harmlessly.
    @discardableResult
    public func rebuild(models: Set<String>? = nil) async throws -> Int64 {
        let head = store.feedHead
        let targets = file.layouts.values.filter { models?.contains($0.model) ?? true }.sorted { $0.model < $1.model }
        let everything = Set(targets.map(\.model)) == Set(file.layouts.keys)
        let previous = try file.position()
        // A crash during a full rebuild must rebuild again, not resume from a stale position.
        if everything { try file.transaction { batch throws(StoreError) in try batch.savePosition(nil) } }
        for layout in targets {
            try file.transaction { batch throws(StoreError) in try batch.recreate(layout) }
            var query = ListQuery(limit: 1000)
            var copied = 0
            while true {
                let page = try store.list(model: layout.model, query: query)
                try file.transaction { batch throws(StoreError) in
                    for record in page.records {
                        try batch.put(model: layout.model, id: record.id, version: record.version, fields: record.fields)
                    }
                }
                copied += page.records.count
                guard let next = page.next else { break }
                query.after = next
            }
            logger.info("search index rebuilt", metadata: ["model": "\(layout.model)", "records": "\(copied)", "feedHead": "\(head)"])
        }
        let position = everything ? head : min(previous ?? head, head)
        try file.transaction { batch throws(StoreError) in try batch.savePosition(position) }
        return position
    }
}
