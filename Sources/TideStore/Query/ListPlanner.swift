import TideModel
import TideSQLite

/// The ordering of a page: the sort key columns, then `id`.
struct OrderPlan: Sendable, Hashable {
    /// ``Cursor/order``: `"pk"` or the index name.
    let name: String
    let sortKeys: [ColumnRef]
    /// The query guarantees non-NULL sort keys (index queries), so tuple comparisons apply.
    let sortKeysNonNull: Bool
    /// `INDEXED BY` this index (nil: let SQLite choose).
    let sqlIndex: String?
}

/// A compiled `list` query.
struct ListPlan: Sendable {
    let sql: String
    let bindings: [SQLBinding]
    let order: OrderPlan
    /// The filter can never match: no need to ask SQLite.
    let alwaysEmpty: Bool
}

/// Turns a ``ListQuery`` into one parameterized SELECT: visibility (tombstones, TTL), index
/// key conditions, the compiled filter and the keyset condition of the cursor, ordered by the
/// chosen ordering with `LIMIT limit + 1` (the extra row tells whether a next page exists).
enum ListPlanner {
    static let maxLimit = 10_000

    static func plan(_ table: ModelTable, _ query: ListQuery, nowSeconds: Int64) throws(StoreError) -> ListPlan {
        guard query.limit >= 1, query.limit <= maxLimit else {
            throw .invalidQuery("limit must be between 1 and \(maxLimit), got \(query.limit)")
        }
        var parts = visibility(table, includeDeleted: query.includeDeleted, nowSeconds: nowSeconds)

        let order: OrderPlan
        if let indexQuery = query.index {
            guard let index = table.index(named: indexQuery.indexName) else {
                throw .invalidQuery("unknown index '\(indexQuery.indexName)' of \(table.name)")
            }
            let hashKey = indexQuery.hashKey
            guard let hash = keyBinding(index.hash, hashKey) else {
                throw .invalidQuery("the hash key '\(index.hash.name)' of index '\(index.name)' cannot be \(RecordCodec.kindName(hashKey))")
            }
            parts.append(SQLFragment("\(index.hash.sql) = ?", [hash]))
            for key in index.sortKeys where key.nullable { parts.append(SQLFragment("\(key.sql) IS NOT NULL")) }
            if let condition = indexQuery.sortCondition { parts.append(try sortCondition(condition, index)) }
            order = OrderPlan(name: index.name, sortKeys: index.sortKeys, sortKeysNonNull: true, sqlIndex: index.sqlName)
        } else if let filter = query.filter, let index = pinnedIndex(table, filter) {
            order = OrderPlan(
                name: index.name, sortKeys: index.sortKeys, sortKeysNonNull: !index.sortKeys.contains(where: \.nullable),
                sqlIndex: index.sqlName)
        } else {
            order = OrderPlan(name: Cursor.primaryOrder, sortKeys: [], sortKeysNonNull: true, sqlIndex: nil)
        }

        if let filter = query.filter { parts.append(try SQLFilterCompiler(table: table).compile(filter)) }
        if let cursor = query.after { parts.append(try keyset(table, order, cursor, descending: query.descending)) }

        let condition = SQLFragment.all(parts)
        var sql = "SELECT \(table.selectColumns) FROM \(table.table)"
        if let index = order.sqlIndex { sql += " INDEXED BY \(SQL.quote(index))" }
        var bindings: [SQLBinding] = []
        var alwaysEmpty = false
        switch condition {
        case .constant(true): break
        case .constant(false):
            sql += " WHERE 0"
            alwaysEmpty = true
        case .sql(let text, let b):
            sql += " WHERE \(text)"
            bindings = b
        }
        let direction = query.descending ? " DESC" : ""
        let orderColumns = order.sortKeys.map(\.sql) + ["\"id\""]
        sql += " ORDER BY " + orderColumns.map { $0 + direction }.joined(separator: ", ") + " LIMIT ?"
        bindings.append(.int(Int64(query.limit) + 1))
        return ListPlan(sql: sql, bindings: bindings, order: order, alwaysEmpty: alwaysEmpty)
    }

    /// Leaves out tombstones (unless `includeDeleted`) and TTL-expired records.
    static func visibility(_ table: ModelTable, includeDeleted: Bool, nowSeconds: Int64) -> [SQLFragment] {
        var parts: [SQLFragment] = []
        if !includeDeleted { parts.append(SQLFragment("\"_deleted\" = 0")) }
        if let expiry = table.expiry {
            let visible = expiry.liveCondition
            // Tombstones stay visible to sync even when their TTL has passed (swept records).
            parts.append(SQLFragment(includeDeleted ? "(\"_deleted\" = 1 OR \(visible))" : "(\(visible))", [.int(nowSeconds)]))
        }
        return parts
    }

    /// An index whose hash field the filter pins with a top-level `eq` (alone or inside the
    /// top-level `and`): listing in that index's order lets SQLite search the index.
    static func pinnedIndex(_ table: ModelTable, _ filter: FilterExpression) -> IndexPlan? {
        let terms: [FilterExpression]
        switch filter {
        case .and(let subs): terms = subs
        case .field: terms = [filter]
        default: return nil
        }
        for index in table.indexes {
            for term in terms {
                if case .field(let name, .eq(let value)) = term, name == index.hash.name,
                    index.hash.kind != .list, index.hash.kind != .object,
                    !value.isNull, SQLFilterCompiler.equalityBinding(index.hash.kind, value) != nil
                {
                    return index
                }
            }
        }
        return nil
    }

    /// The bound value of a key (hash, sort key or cursor value) for its column.
    static func keyBinding(_ column: ColumnRef, _ value: JSONValue) -> SQLBinding? {
        SQLFilterCompiler.equalityBinding(column.kind, value)
    }

    static func sortCondition(_ condition: SortKeyCondition, _ index: IndexPlan) throws(StoreError) -> SQLFragment {
        let keys = index.sortKeys
        guard !keys.isEmpty else { throw .invalidQuery("index '\(index.name)' has no sort key") }

        func bindings(_ values: [JSONValue]) throws(StoreError) -> [SQLBinding] {
            guard (1...keys.count).contains(values.count) else {
                throw .invalidQuery("a sort key condition of index '\(index.name)' takes 1 to \(keys.count) values")
            }
            var out: [SQLBinding] = []
            for (key, value) in zip(keys, values) {
                guard let binding = keyBinding(key, value) else {
                    throw .invalidQuery("the sort key '\(key.name)' of index '\(index.name)' cannot be \(RecordCodec.kindName(value))")
                }
                out.append(binding)
            }
            return out
        }
        func tuple(_ values: [JSONValue], _ op: String) throws(StoreError) -> SQLFragment {
            let b = try bindings(values)
            if b.count == 1 { return SQLFragment("\(keys[0].sql) \(op) ?", b) }
            let columns = keys.prefix(b.count).map(\.sql).joined(separator: ", ")
            return SQLFragment("(\(columns)) \(op) (\(SQL.placeholders(b.count)))", b)
        }
        func equalities(_ values: [JSONValue]) throws(StoreError) -> SQLFragment {
            let b = values.isEmpty ? [] : try bindings(values)
            return .all(zip(keys, b).map { SQLFragment("\($0.sql) = ?", [$1]) })
        }

        switch condition {
        case .eq(let values): return try equalities(values)
        case .lt(let values): return try tuple(values, "<")
        case .le(let values): return try tuple(values, "<=")
        case .gt(let values): return try tuple(values, ">")
        case .ge(let values): return try tuple(values, ">=")
        case .between(let low, let high): return .all([try tuple(low, ">="), try tuple(high, "<=")])
        case .beginsWith(let values):
            guard let last = values.last, values.count <= keys.count else {
                throw .invalidQuery("a sort key condition of index '\(index.name)' takes 1 to \(keys.count) values")
            }
            let key = keys[values.count - 1]
            guard key.kind == .text, case .string(let prefix) = last else {
                throw .invalidQuery("beginsWith on the sort key '\(key.name)' of index '\(index.name)' takes a string")
            }
            return .all([try equalities(Array(values.dropLast())), SQLFilterCompiler.beginsWith(key, prefix)])
        }
    }

    /// Rows strictly after the cursor's (sort values…, id) in the page order. NULL sort values
    /// order first (ascending) as in SQLite.
    static func keyset(_ table: ModelTable, _ order: OrderPlan, _ cursor: Cursor, descending: Bool) throws(StoreError) -> SQLFragment {
        guard cursor.order == order.name else {
            throw .invalidQuery("the cursor belongs to the ordering '\(cursor.order)', not '\(order.name)'")
        }
        guard cursor.values.count == order.sortKeys.count else { throw .invalidQuery("the cursor does not fit this ordering") }
        let idColumn = table.filterColumns[Record.MetaField.id]!
        let columns = order.sortKeys + [idColumn]
        let values = cursor.values + [.string(cursor.id)]
        let op = descending ? "<" : ">"

        if order.sortKeysNonNull || !values.contains(where: \.isNull) && !columns.contains(where: \.nullable) {
            var bindings: [SQLBinding] = []
            for (column, value) in zip(columns, values) {
                guard let binding = keyBinding(column, value) else { throw .invalidQuery("the cursor does not fit this ordering") }
                bindings.append(binding)
            }
            if columns.count == 1 { return SQLFragment("\"id\" \(op) ?", bindings) }
            return SQLFragment("(\(columns.map(\.sql).joined(separator: ", "))) \(op) (\(SQL.placeholders(columns.count)))", bindings)
        }

        // Nullable sort keys: expand the lexicographic comparison, with NULL before any value.
        func after(_ i: Int) throws(StoreError) -> SQLFragment {
            let column = columns[i]
            let value = values[i]
            if i == columns.count - 1 {
                guard let binding = keyBinding(column, value) else { throw .invalidQuery("the cursor does not fit this ordering") }
                return SQLFragment("\(column.sql) \(op) ?", [binding])
            }
            let rest = try after(i + 1)
            if value.isNull {
                guard column.nullable else { throw .invalidQuery("the cursor does not fit this ordering") }
                let isNull = SQLFragment("\(column.sql) IS NULL")
                return descending
                    ? .all([isNull, rest])
                    : .any([SQLFragment("\(column.sql) IS NOT NULL"), .all([isNull, rest])])
            }
            guard let binding = keyBinding(column, value) else { throw .invalidQuery("the cursor does not fit this ordering") }
            var options = [SQLFragment("\(column.sql) \(op) ?", [binding])]
            if descending && column.nullable { options.append(SQLFragment("\(column.sql) IS NULL")) }
            options.append(.all([SQLFragment("\(column.sql) = ?", [binding]), rest]))
            return .any(options)
        }
        return try after(0)
    }
}
