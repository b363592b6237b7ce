import TideSQLite

extension Store {
    /// The highest committed feed seq (0 when nothing was ever written).
    public var feedHead: Int64 { counters.feedHead.load(ordering: .acquiring) }

    /// The feed head after every commit that appended entries (the newest only, when the
    /// consumer lags); finishes when the store closes.
    public func commits() -> AsyncStream<Int64> { counters.commits.observe() }

    /// Up to `limit` committed entries with seq > `after`, in seq order.
    public func feed(after seq: Int64, limit: Int) throws(StoreError) -> [FeedEntry] {
        try checkOpen()
        guard limit >= 1 else { return [] }
        return try read { connection throws(SQLiteError) in
            var entries: [FeedEntry] = []
            try connection.query(FeedSQL.select, [.int(seq), .int(Int64(limit))]) { entries.append(FeedSQL.decode($0)) }
            return entries
        }
    }

    /// The consumer's saved position, or nil when it never saved one.
    public func checkpoint(consumer: String) throws(StoreError) -> Int64? {
        try checkOpen()
        return try read { connection throws(SQLiteError) in
            try connection.queryFirst(FeedSQL.checkpoint, [.text(consumer)]) { $0.int64(0) }
        }
    }

    /// Saves the consumer's position durably (through the writer).
    public func saveCheckpoint(consumer: String, seq: Int64) async throws(StoreError) {
        guard !consumer.isEmpty else { throw .invalidValue(field: "consumer", reason: "must not be empty") }
        try await submit { session throws(StoreError) in try session.saveCheckpoint(consumer: consumer, seq: seq) }
    }
}
