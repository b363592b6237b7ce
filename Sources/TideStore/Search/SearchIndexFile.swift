import Foundation
import Synchronization
import TideModel
import TideSQLite

/// The writer's side of the search index database (`<data>/search.sqlite`, laid out as
/// ``SearchIndexLayout`` says): its tables, its feed position, and indexing or removing one
/// record. TideFeed's `SearchIndexer` drives it from the change feed; ``Store/search`` reads it.
///
/// Each indexed record keeps the `_version` it was indexed at; ``put`` and ``remove`` ignore
/// anything older, so applying an entry twice, or after a rebuild copied a newer state,
/// changes nothing.
///
/// ```swift
/// let file = try SearchIndexFile(directory: "data", layouts: [SearchIndexLayout(model: note)])
/// try file.transaction { batch throws(StoreError) in
///     try batch.put(model: "Note", id: "n1", version: 3, fields: ["title": "Hello"])
///     try batch.savePosition(42)
/// }
/// ```
public final class SearchIndexFile: Sendable {
    public let path: String
    public let layouts: [String: SearchIndexLayout]
    /// Models whose stored field list differed from `layouts` when the file was opened (their
    /// tables were emptied: they need a rebuild).
    public let changedModels: Set<String>
    /// One connection, one caller at a time.
    private let connection: Mutex<Connection>

    public init(directory: String, layouts: [SearchIndexLayout]) throws(StoreError) {
        path = SearchIndexLayout.path(in: directory)
        self.layouts = Dictionary(layouts.map { ($0.model, $0) }, uniquingKeysWith: { first, _ in first })
        let connection: Connection
        var changed: Set<String> = []
        do throws(SQLiteError) {
            // It holds the indexed text of the records: 0600 like the record store.
            try Connection.createFileIfNeeded(atPath: path, permissions: 0o600)
            connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: 5_000)
            try connection.enableWAL()
            // The index can always be rebuilt, and a power loss drops its last batches together
            // with their position: it stays consistent without an fsync per batch. Batches
            // rewrite the same FTS5 and id-index pages over and over: a 64 MiB page cache keeps
            // them out of the kernel's reads, and checkpoints every 64 MiB of log (not 4) copy
            // each page once for many batches (indexer CPU per record under the create load:
            // 25 → 20 µs).
            try connection.execute(
                """
                PRAGMA synchronous = NORMAL;
                PRAGMA cache_size = -65536;
                PRAGMA wal_autocheckpoint = 16384;
                CREATE TABLE IF NOT EXISTS "_search_state"("key" TEXT PRIMARY KEY NOT NULL, "value" INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS "_search_models"("model" TEXT PRIMARY KEY NOT NULL, "fields" TEXT NOT NULL);
                """)
            let batch = Batch(connection: connection, layouts: self.layouts)
            try connection.transaction(.immediate) { connection throws(SQLiteError) in
                for layout in layouts {
                    let signature = JSONValue.array(layout.fields.map(JSONValue.string)).jsonString
                    let stored = try connection.queryFirst(
                        "SELECT \"fields\" FROM \"_search_models\" WHERE \"model\" = ?", [.text(layout.model)]) { $0.text(0) }
                    guard stored != signature else { continue }
                    changed.insert(layout.model)
                    try batch.recreateTables(layout)
                    try connection.run(
                        "INSERT INTO \"_search_models\"(\"model\", \"fields\") VALUES (?, ?) "
                            + "ON CONFLICT(\"model\") DO UPDATE SET \"fields\" = excluded.\"fields\"",
                        [.text(layout.model), .text(signature)])
                }
            }
        } catch {
            throw StoreError(error)
        }
        changedModels = changed
        self.connection = Mutex(connection)
    }

    deinit { connection.withLock { $0.close() } }

    /// Runs `body` in one write transaction of the index (committed when it returns).
    public func transaction<T: Sendable>(_ body: (Batch) throws(StoreError) -> T) throws(StoreError) -> T {
        try connection.withLock { connection throws(StoreError) in
            let batch = Batch(connection: connection, layouts: layouts)
            return try connection.transaction(.immediate) { _ throws(StoreError) in try body(batch) }
        }
    }

    /// The feed position the index holds; nil before its first build (or during a full rebuild).
    public func position() throws(StoreError) -> Int64? {
        try transaction { batch throws(StoreError) in try batch.position() }
    }

    /// Writes inside one ``SearchIndexFile/transaction(_:)``.
    public struct Batch {
        let connection: Connection
        let layouts: [String: SearchIndexLayout]

        public func position() throws(StoreError) -> Int64? {
            try StoreError.wrapping(
                connection.queryFirst("SELECT \"value\" FROM \"_search_state\" WHERE \"key\" = 'position'") { $0.int64(0) })
        }

        /// Stores the feed position (nil: none, so the next start rebuilds).
        public func savePosition(_ seq: Int64?) throws(StoreError) {
            guard let seq else {
                try StoreError.wrapping(connection.run("DELETE FROM \"_search_state\" WHERE \"key\" = 'position'"))
                return
            }
            try StoreError.wrapping(
                connection.run(
                    "INSERT INTO \"_search_state\"(\"key\", \"value\") VALUES ('position', ?) "
                        + "ON CONFLICT(\"key\") DO UPDATE SET \"value\" = excluded.\"value\"",
                    [.int(seq)]))
        }

        /// Empties a model's tables (recreated with the current field list).
        public func recreate(_ layout: SearchIndexLayout) throws(StoreError) {
            try StoreError.wrapping(recreateTables(layout))
        }

        func recreateTables(_ layout: SearchIndexLayout) throws(SQLiteError) {
            let columns = layout.fields.indices.map { "c\($0)" }.joined(separator: ", ")
            try connection.execute(
                """
                DROP TABLE IF EXISTS \(SQL.quote(layout.ftsTable));
                DROP TABLE IF EXISTS \(SQL.quote(layout.docsTable));
                CREATE VIRTUAL TABLE \(SQL.quote(layout.ftsTable)) USING fts5(\(columns), tokenize = '\(SearchIndexLayout.tokenizer)');
                CREATE TABLE \(SQL.quote(layout.docsTable))(
                    "rid" INTEGER PRIMARY KEY, "id" TEXT NOT NULL UNIQUE, "version" INTEGER NOT NULL);
                """)
        }

        private func indexed(_ layout: SearchIndexLayout, id: String) throws(SQLiteError) -> (rid: Int64, version: Int64)? {
            try connection.queryFirst("SELECT \"rid\", \"version\" FROM \(SQL.quote(layout.docsTable)) WHERE \"id\" = ?", [.text(id)]) {
                ($0.int64(0), $0.int64(1))
            }
        }

        /// Indexes the record at `version` unless that or a newer version is indexed. Models
        /// that are not searchable are ignored.
        public func put(model: String, id: String, version: Int64, fields: [String: JSONValue]) throws(StoreError) {
            guard let layout = layouts[model] else { return }
            try StoreError.wrapping(put(layout, id: id, version: version, fields: fields))
        }

        private func put(_ layout: SearchIndexLayout, id: String, version: Int64, fields: [String: JSONValue]) throws(SQLiteError) {
            let docs = SQL.quote(layout.docsTable)
            let fts = SQL.quote(layout.ftsTable)
            let values = layout.fields.map { SearchIndexLayout.text(fields[$0]).map(SQLBinding.text) ?? .null }
            let columns = layout.fields.indices.map { "c\($0)" }.joined(separator: ", ")
            let rid: Int64
            if let existing = try indexed(layout, id: id) {
                guard version > existing.version else { return }
                rid = existing.rid
                try connection.run("DELETE FROM \(fts) WHERE rowid = ?", [.int(rid)])
                try connection.run("UPDATE \(docs) SET \"version\" = ? WHERE \"rid\" = ?", [.int(version), .int(rid)])
            } else {
                try connection.run("INSERT INTO \(docs)(\"id\", \"version\") VALUES (?, ?)", [.text(id), .int(version)])
                rid = connection.lastInsertRowID
            }
            try connection.run(
                "INSERT INTO \(fts)(rowid, \(columns)) VALUES (?, \(SQL.placeholders(values.count)))", [.int(rid)] + values)
        }

        /// Removes the record unless a newer version is indexed.
        public func remove(model: String, id: String, version: Int64) throws(StoreError) {
            guard let layout = layouts[model] else { return }
            try StoreError.wrapping(remove(layout, id: id, version: version))
        }

        private func remove(_ layout: SearchIndexLayout, id: String, version: Int64) throws(SQLiteError) {
            guard let existing = try indexed(layout, id: id), existing.version < version else { return }
            try connection.run("DELETE FROM \(SQL.quote(layout.ftsTable)) WHERE rowid = ?", [.int(existing.rid)])
            try connection.run("DELETE FROM \(SQL.quote(layout.docsTable)) WHERE \"rid\" = ?", [.int(existing.rid)])
        }

        /// Every indexed record of a model in id order: id, version and the indexed text per
        /// field (what the tests compare with a rebuild).
        public func contents(model: String) throws(StoreError) -> [[String]] {
            guard let layout = layouts[model] else { return [] }
            let columns = layout.fields.indices.map { "coalesce(f.c\($0), '')" }.joined(separator: ", ")
            var rows: [[String]] = []
            try StoreError.wrapping(
                connection.query(
                    "SELECT d.\"id\", d.\"version\", \(columns) FROM \(SQL.quote(layout.docsTable)) d "
                        + "JOIN \(SQL.quote(layout.ftsTable)) f ON f.rowid = d.\"rid\" ORDER BY d.\"id\""
                ) { row in
                    rows.append((0..<Int32(2 + layout.fields.count)).map { row.text($0) })
                })
            return rows
        }
    }
}
