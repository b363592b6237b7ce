import TideSQLite
import Foundation
import TideModel

extension Store {
    /// Runs a search over the model's live rows with the search index at `indexPath` attached
    /// (see ``SearchIndexLayout``). Items, `total` and aggregates are read in one read
    /// transaction, so they agree with one another.
    ///
    /// A ranked query (relevance order) answers its first page together with the ids of the
    /// next hits in order (up to `rankWindow`), which the caller keeps to serve the following
    /// pages in a frozen order (``SearchQuery/ids``): BM25 scores move as the corpus changes,
    /// so re-ranking per page could skip or repeat records.
    public func search(
        model: String, query: SearchQuery, indexPath: String, rankWindow: Int = 10_000, now: Date = Date()
    ) throws(StoreError) -> SearchPage {
        let table = try table(model)
        try checkOpen()
        guard query.limit >= 1, query.limit <= ListPlanner.maxLimit else {
            throw .invalidQuery("limit must be between 1 and \(ListPlanner.maxLimit), got \(query.limit)")
        }
        guard query.offset >= 0 else { throw .invalidQuery("from must not be negative") }
        let planner = SearchPlanner(table: table, layout: SearchIndexLayout(model: table.model), query: query, nowSeconds: Timestamps.seconds(now))
        return try readers.withReader { connection throws(StoreError) in
            try attachSearchIndex(connection, path: indexPath)
            try StoreError.wrapping(connection.execute("BEGIN"))
            defer { try? connection.execute("COMMIT") }
            var page: SearchPage
            if let ids = query.ids {
                page = SearchPage(records: try rows(connection, planner, ids: ids))
            } else if query.ranked {
                page = try rankedPage(connection, planner, window: rankWindow)
            } else {
                page = try orderedPage(connection, planner)
            }
            let condition = try planner.condition(ids: nil)
            if query.countTotal {
                let (sql, bindings) = planner.select("count(*)", where: condition)
                page.total = Int(try StoreError.wrapping(connection.queryFirst(sql, bindings) { $0.int64(0) }) ?? 0)
            }
            for aggregate in query.aggregates {
                page.aggregates.append((aggregate.name, try self.aggregate(connection, planner, aggregate, condition)))
            }
            return page
        }
    }

    private func attachSearchIndex(_ connection: Connection, path: String) throws(StoreError) {
        var attached = false
        try StoreError.wrapping(connection.query("PRAGMA database_list") { if $0.text(1) == SearchIndexLayout.schemaName { attached = true } })
        if !attached {
            try StoreError.wrapping(connection.run("ATTACH DATABASE ? AS \(SearchIndexLayout.schemaName)", [.text(path)]))
        }
    }

    /// The records with these ids that pass the filter, in the ids' order.
    private func rows(_ connection: Connection, _ planner: SearchPlanner, ids: [String]) throws(StoreError) -> [Record] {
        guard !ids.isEmpty else { return [] }
        let table = planner.table
        let (sql, bindings) = planner.select(table.selectColumns, where: try planner.condition(ids: ids))
        var byID: [String: Record] = [:]
        try StoreError.wrapping(
            connection.query(sql, bindings) { row in
                let record = RecordCodec.decode(row, table).record(table)
                byID[record.id] = record
            })
        return ids.compactMap { byID[$0] }
    }

    private func rankedPage(_ connection: Connection, _ planner: SearchPlanner, window: Int) throws(StoreError) -> SearchPage {
        let (inner, bindings) = planner.select(
            "\(planner.table.table).\"id\" AS \"id\", r.\"_rank\" AS \"_rank\"", join: try planner.rankJoin(),
            where: try planner.condition(ids: nil))
        let sql = "SELECT \"id\" FROM (\(inner)) ORDER BY \"_rank\" IS NULL, \"_rank\", \"id\" LIMIT ? OFFSET ?"
        var ids: [String] = []
        try StoreError.wrapping(
            connection.query(sql, bindings + [.int(Int64(max(window, planner.query.limit))), .int(Int64(planner.query.offset))]) {
                ids.append($0.text(0))
            })
        let first = Array(ids.prefix(planner.query.limit))
        return SearchPage(records: try rows(connection, planner, ids: first), rankedRest: Array(ids.dropFirst(first.count)))
    }

    private func orderedPage(_ connection: Connection, _ planner: SearchPlanner) throws(StoreError) -> SearchPage {
        let table = planner.table
        let query = planner.query
        var keys: [(sql: String, descending: Bool)] = []
        var extra: [SQLFragment] = []
        for (i, sort) in query.sort.enumerated() {
            let (column, value) = try planner.visibleValue(sort.field)
            guard column.kind != .list, column.kind != .object else {
                throw .invalidQuery("cannot sort by \(sort.field): it is a list or an object")
            }
            extra.append(value)
            keys.append(("\"_s\(i)\"", sort.descending))
        }
        var (sql, bindings) = planner.select(table.selectColumns, extra: extra, where: try planner.condition(ids: nil))
        sql = "SELECT * FROM (\(sql))"
        if let after = query.after {
            guard after.values.count == keys.count else { throw .invalidQuery("the nextToken does not fit this sort") }
            if case .sql(let text, let b) = SearchPlanner.keyset(keys, after) {
                sql += " WHERE \(text)"
                bindings += b
            }
        }
        sql += " ORDER BY " + (keys.map { $0.sql + ($0.descending ? " DESC" : "") } + ["\"id\""]).joined(separator: ", ")
        sql += " LIMIT ? OFFSET ?"
        bindings += [.int(Int64(query.limit) + 1), .int(Int64(query.offset))]
        var records: [Record] = []
        var sortValues: [[JSONValue]] = []
        let sortBase = Int32(ModelTable.metaColumnCount + table.fields.count)
        try StoreError.wrapping(
            connection.query(sql, bindings) { row in
                records.append(RecordCodec.decode(row, table).record(table))
                sortValues.append(
                    query.sort.indices.map { i in
                        let column = table.filterColumns[query.sort[i].field]!
                        return RecordCodec.decodeValue(row, sortBase + Int32(i), kind: column.kind)
                    })
            })
        var next: SearchCursor?
        if records.count > query.limit {
            records.removeLast(records.count - query.limit)
            next = SearchCursor(values: sortValues[query.limit - 1], id: records[query.limit - 1].id)
        }
        return SearchPage(records: records, next: next)
    }

    private func aggregate(
        _ connection: Connection, _ planner: SearchPlanner, _ aggregate: SearchAggregate, _ condition: SQLFragment
    ) throws(StoreError) -> AggregateResult {
        let (column, value) = try planner.visibleValue(aggregate.field)
        let (inner, bindings) = planner.select("NULL", extra: [value], where: condition)
        switch aggregate.kind {
        case .min, .max, .avg, .sum:
            guard column.kind.isNumeric else {
                throw .invalidQuery("\(aggregate.kind.rawValue) needs a number field; \(aggregate.field) is not one")
            }
            let function = aggregate.kind == .sum ? "total" : aggregate.kind.rawValue
            let sql = "SELECT \(function)(\"_s0\"), count(\"_s0\") FROM (\(inner))"
            return .value(try StoreError.wrapping(connection.queryFirst(sql, bindings) { row in row.int64(1) == 0 ? nil : row.double(0) }) ?? nil)
        case .terms:
            guard column.kind != .object else { throw .invalidQuery("terms cannot count \(aggregate.field): it is an object") }
            let key: String
            var from = "(\(inner)) AS s"
            switch column.kind {
            case .list:
                from += ", json_each(s.\"_s0\") AS j"
                key = "CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END"
            case .boolean: key = "CASE s.\"_s0\" WHEN 1 THEN 'true' WHEN 0 THEN 'false' END"
            default: key = "CAST(s.\"_s0\" AS TEXT)"
            }
            let sql = "SELECT \(key) AS k, count(*) AS n FROM \(from) WHERE k IS NOT NULL GROUP BY k ORDER BY n DESC, k LIMIT 10"
            var buckets: [(key: String, count: Int)] = []
            try StoreError.wrapping(connection.query(sql, bindings) { buckets.append(($0.text(0), Int($0.int64(1)))) })
            return .buckets(buckets)
        }
    }
}
