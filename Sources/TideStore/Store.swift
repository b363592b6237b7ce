import Foundation
import Logging
import Synchronization
import TideModel
import TideSQLite

/// Versioned records over SQLite with a change feed: the server's storage (ARCHITECTURE §4, §5).
///
/// Reads are synchronous and run on a pooled read-only connection beside the writer (WAL).
/// Writes are `async`: each is queued for the single writer thread, which commits everything
/// queued in one transaction (group commit) and resumes the callers once COMMIT has returned,
/// so an acknowledged write is durable (under `Durability.full`) and already in the feed.
///
/// ```swift
/// let store = try Store(schema: schema, configuration: StoreConfiguration(directory: "data"))
/// let note = try await store.create(model: "Note", id: nil, values: ["title": "Hello"], condition: nil, actor: userID)
/// let page = try store.list(model: "Note", query: ListQuery(filter: .field("title", .beginsWith("He")), limit: 50))
/// ```
public final class Store: Sendable {
    public let configuration: StoreConfiguration
    let tables: [String: ModelTable]
    let writerConnection: Connection
    let writer: Writer
    /// Stamps writes and hands out delta-sync cut-offs.
    let clock: StampClock
    let readers: ReaderPool
    let counters: StoreCounters
    let isClosed = Atomic<Bool>(false)
    let logger: Logger
    /// When the database was last restored from a backup (nil: never); see ``RestorePoint``.
    public let restorePoint: RestorePoint?

    /// Opens (creating if needed) the database in `configuration.directory` and migrates it to
    /// `schema`. Throws `StoreError.incompatibleSchema` naming `Model.field` when the stored
    /// data cannot follow the schema.
    public init(schema: AppSchema, configuration: StoreConfiguration, logger: Logger = Logger(label: "tidewater.store")) throws {
        self.configuration = configuration
        self.logger = logger

        var problems: [String] = []
        let tableList = schema.models.map { ModelTable(model: $0, schema: schema, problems: &problems) }
        guard problems.isEmpty else { throw StoreError.incompatibleSchema(problems) }
        tables = Dictionary(tableList.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

        let path = configuration.databasePath
        // 0600 like every file of the data folder: the records are nobody else's to read.
        try StoreError.wrapping(Connection.createFileIfNeeded(atPath: path, permissions: 0o600))
        let connection = try StoreError.wrapping(
            Connection(path: path, readOnly: false, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds))
        var lastMillis: Int64 = 0
        var restorePoint: RestorePoint?
        do throws(StoreError) {
            try StoreError.wrapping(connection.enableWAL())
            try StoreError.wrapping(
                connection.execute(
                    """
                    PRAGMA synchronous = \(configuration.durability == .full ? "FULL" : "NORMAL");
                    PRAGMA foreign_keys = OFF;
                    PRAGMA temp_store = MEMORY;
                    """))
            try SchemaMigrator(connection: connection, tables: tableList, logger: logger).migrate()
            let head = try StoreError.wrapping(connection.queryFirst(FeedSQL.head) { $0.int64(0) }) ?? 0
            counters = StoreCounters(feedHead: head)
            for table in tableList {
                let stamp = try StoreError.wrapping(
                    connection.queryFirst("SELECT max(\"_lastChangedAt\") FROM \(table.table)") { $0.optionalInt64(0) })
                lastMillis = max(lastMillis, (stamp ?? nil) ?? 0)
            }
            restorePoint = try StoreError.wrapping(Self.latestRestorePoint(connection))
        } catch {
            connection.close()
            throw error
        }
        writerConnection = connection
        self.restorePoint = restorePoint
        // After a restore, cut-offs start at the restore: a lastSync from before it names the
        // lost history (RestorePoint), one from after it does not.
        clock = StampClock(newestStoredStamp: max(lastMillis, restorePoint?.restoredAt ?? 0))
        writer = Writer(
            connection: connection, counters: counters, maxBatchSize: configuration.maxBatchSize, clock: clock, logger: logger)
        readers = ReaderPool(
            path: path, capacity: configuration.readerCount, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds,
            logger: logger)
        writer.start()
        logger.info(
            "store opened",
            metadata: [
                "path": "\(path)", "models": "\(tables.count)", "durability": "\(configuration.durability.rawValue)",
                "feedHead": "\(counters.feedHead.load(ordering: .relaxed))",
            ])
    }

    deinit { close() }

    /// Drains queued writes, checkpoints the WAL and closes every connection. Blocks until the
    /// writer has finished. Idempotent; afterwards every call throws `StoreError.closed`.
    public func close() {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writer.stop()
        counters.commits.finish()
        readers.closeAll()
        do throws(SQLiteError) {
            _ = try writerConnection.queryFirst("PRAGMA wal_checkpoint(TRUNCATE)") { $0.int64(0) }
        } catch {
            logger.warning("WAL checkpoint at close failed", metadata: ["error": "\(error)"])
        }
        writerConnection.close()
        logger.info("store closed", metadata: ["path": "\(configuration.databasePath)"])
    }

    func table(_ model: String) throws(StoreError) -> ModelTable {
        guard let table = tables[model] else { throw .unknownModel(model) }
        return table
    }

    func checkOpen() throws(StoreError) {
        if isClosed.load(ordering: .acquiring) { throw .closed }
    }

    /// Runs `body` on a pooled read connection.
    func read<T>(_ body: (Connection) throws(SQLiteError) -> T) throws(StoreError) -> T {
        do {
            return try readers.withReader(body)
        } catch {
            throw StoreError(error)
        }
    }

    // MARK: Reads

    /// The record, or nil when absent, a tombstone (unless `includeDeleted`) or expired by TTL.
    public func get(model: String, id: String, includeDeleted: Bool = false, now: Date = Date()) throws(StoreError) -> Record? {
        let table = try table(model)
        try checkOpen()
        let row = try read { connection throws(SQLiteError) in
            try connection.queryFirst(table.selectByID, [.text(id)]) { RecordCodec.decode($0, table) }
        }
        guard let row else { return nil }
        if row.deleted { return includeDeleted ? row.record(table) : nil }
        if let expiry = table.expiry, expiry.isExpired(row, nowSeconds: Timestamps.seconds(now)) { return nil }
        return row.record(table)
    }

    /// One page of records in the query's order, filtered in SQL (pages are full).
    public func list(model: String, query: ListQuery, now: Date = Date()) throws(StoreError) -> ListPage {
        let table = try table(model)
        try checkOpen()
        let plan = try ListPlanner.plan(table, query, nowSeconds: Timestamps.seconds(now))
        if plan.alwaysEmpty { return ListPage(records: [], next: nil) }
        var rows = try read { connection throws(SQLiteError) in
            var rows: [StoredRow] = []
            rows.reserveCapacity(min(query.limit + 1, 1024))
            try connection.query(plan.sql, plan.bindings) { rows.append(RecordCodec.decode($0, table)) }
            return rows
        }
        let hasMore = rows.count > query.limit
        if hasMore { rows.removeLast(rows.count - query.limit) }
        let records = rows.map { $0.record(table) }
        var next: Cursor?
        if hasMore, let last = records.last {
            next = Cursor(order: plan.order.name, values: plan.order.sortKeys.map { $0.value(in: last) }, id: last.id)
        }
        return ListPage(records: records, next: next)
    }

    /// The `detail` column of `EXPLAIN QUERY PLAN` for the query `list` would run.
    public func explainQueryPlan(model: String, query: ListQuery) throws(StoreError) -> [String] {
        let table = try table(model)
        try checkOpen()
        let plan = try ListPlanner.plan(table, query, nowSeconds: Timestamps.seconds(Date()))
        return try read { connection throws(SQLiteError) in
            let statement = try connection.prepareUncached("EXPLAIN QUERY PLAN " + plan.sql)
            defer { statement.finalize() }
            try statement.bind(plan.bindings)
            var details: [String] = []
            while try statement.step() { details.append(statement.text(3)) }
            return details
        }
    }
}
