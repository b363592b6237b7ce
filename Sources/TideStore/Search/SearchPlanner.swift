import TideSQLite
import TideModel

/// Compiles a ``SearchQuery`` into SQL over the model table, with the search index attached
/// as `search`: the model's rows are the truth (visibility, comparisons, `@auth`, sort keys and
/// aggregates read the live columns, compiled by ``SQLFilterCompiler`` exactly as for lists);
/// FTS5 only answers which records a text predicate matches and how well.
struct SearchPlanner {
    let table: ModelTable
    let layout: SearchIndexLayout
    let query: SearchQuery
    let nowSeconds: Int64

    private var fts: String { "\(SearchIndexLayout.schemaName).\(SQL.quote(layout.ftsTable))" }
    private var docs: String { "\(SearchIndexLayout.schemaName).\(SQL.quote(layout.docsTable))" }

    /// Records of the text query: `SELECT _sid[, _rank]` over the index.
    private func matches(_ expression: String, ranked: Bool) -> SQLFragment {
        SQLFragment(
            "SELECT d.\"id\" AS \"_sid\"" + (ranked ? ", bm25(\(SQL.quote(layout.ftsTable))) AS \"_rank\"" : "") + " FROM \(fts) "
                + "JOIN \(docs) d ON d.\"rid\" = \(SQL.quote(layout.ftsTable)).rowid WHERE \(SQL.quote(layout.ftsTable)) MATCH ?",
            [.text(expression)])
    }

    func compile(_ filter: SearchFilter) throws(StoreError) -> SQLFragment {
        try SQLFragment.compile(filter) { leaf throws(StoreError) in
            switch leaf {
            case .compare(let expression):
                return try SQLFilterCompiler(table: table).compile(expression)
            case .text(let field, let text):
                guard case .sql(let sql, let bindings) = matches(try expression(field, text), ranked: false) else { return .false }
                return SQLFragment("\(table.table).\"id\" IN (\(sql))", bindings)
            }
        }
    }

    func expression(_ field: String, _ text: TextQuery) throws(StoreError) -> String {
        guard let column = layout.column(of: field) else {
            throw .invalidQuery("\(field) is not a @searchable field of \(table.name): full-text operators work on \(layout.fields.joined(separator: ", "))")
        }
        return SearchText.expression(text, column: column)
    }

    /// The text predicates outside every `not`, OR-ed: what relevance ranks by.
    func rankExpression(_ filter: SearchFilter) throws(StoreError) -> String? {
        var parts: [String] = []
        func collect(_ filter: SearchFilter) throws(StoreError) {
            switch filter {
            case .and(let subs), .or(let subs): for sub in subs { try collect(sub) }
            case .not, .compare: break
            case .text(let field, let text): parts.append("(" + (try expression(field, text)) + ")")
            }
        }
        try collect(filter)
        return parts.isEmpty ? nil : parts.joined(separator: " OR ")
    }

    /// Visibility, the filter and the id restriction.
    func condition(ids: [String]?) throws(StoreError) -> SQLFragment {
        var parts = ListPlanner.visibility(table, includeDeleted: false, nowSeconds: nowSeconds)
        if let filter = query.filter { parts.append(try compile(filter)) }
        if let ids {
            parts.append(ids.isEmpty ? .false : SQLFragment("\(table.table).\"id\" IN (\(SQL.placeholders(ids.count)))", ids.map(SQLBinding.text)))
        }
        return .all(parts)
    }

    /// A field's value as this caller may see it: the column, or NULL where a field rule hides it.
    func visibleValue(_ field: String) throws(StoreError) -> (column: ColumnRef, sql: SQLFragment) {
        guard let column = table.filterColumns[field] else { throw .invalidQuery("unknown field '\(field)'") }
        guard let guardExpression = query.fieldGuards[field] else { return (column, SQLFragment(column.sql)) }
        switch try SQLFilterCompiler(table: table).compile(guardExpression) {
        case .constant(true): return (column, SQLFragment(column.sql))
        case .constant(false): return (column, SQLFragment("NULL"))
        case .sql(let text, let bindings): return (column, SQLFragment("CASE WHEN \(text) THEN \(column.sql) END", bindings))
        }
    }

    /// `SELECT columns[, extra] FROM table[ join] WHERE condition` with its bindings in text order.
    func select(_ columns: String, extra: [SQLFragment] = [], join: SQLFragment? = nil, where condition: SQLFragment) -> (String, [SQLBinding]) {
        var sql = "SELECT \(columns)"
        var bindings: [SQLBinding] = []
        for (i, fragment) in extra.enumerated() {
            guard case .sql(let text, let b) = fragment else { continue }
            sql += ", \(text) AS \"_s\(i)\""
            bindings += b
        }
        sql += " FROM \(table.table)"
        if case .sql(let text, let b)? = join {
            sql += " LEFT JOIN (\(text)) AS r ON r.\"_sid\" = \(table.table).\"id\""
            bindings += b
        }
        switch condition {
        case .constant(true): break
        case .constant(false): sql += " WHERE 0"
        case .sql(let text, let b):
            sql += " WHERE \(text)"
            bindings += b
        }
        return (sql, bindings)
    }

    /// The rank join of a ranked query.
    func rankJoin() throws(StoreError) -> SQLFragment? {
        guard query.ranked, let filter = query.filter, let expression = try rankExpression(filter) else { return nil }
        return matches(expression, ranked: true)
    }

    /// Rows strictly after `cursor` in the order of `keys` (each ascending or descending), then
    /// `id` ascending; NULL sorts first as in SQLite.
    static func keyset(_ keys: [(sql: String, descending: Bool)], _ cursor: SearchCursor) -> SQLFragment {
        var options: [SQLFragment] = []
        var equalSoFar: [SQLFragment] = []
        for (i, key) in keys.enumerated() {
            let value = i < cursor.values.count ? cursor.values[i] : .null
            let binding = binding(value)
            let after: SQLFragment
            switch (binding, key.descending) {
            case (nil, false): after = SQLFragment("\(key.sql) IS NOT NULL")
            case (nil, true): after = .false
            case (let b?, false): after = SQLFragment("\(key.sql) > ?", [b])
            case (let b?, true): after = SQLFragment("(\(key.sql) < ? OR \(key.sql) IS NULL)", [b])
            }
            options.append(.all(equalSoFar + [after]))
            equalSoFar.append(binding.map { SQLFragment("\(key.sql) = ?", [$0]) } ?? SQLFragment("\(key.sql) IS NULL"))
        }
        options.append(.all(equalSoFar + [SQLFragment("\"id\" > ?", [.text(cursor.id)])]))
        return .any(options)
    }

    static func binding(_ value: JSONValue) -> SQLBinding? {
        switch value {
        case .string(let s): .text(s)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .bool(let b): .int(b ? 1 : 0)
        default: nil
        }
    }
}
