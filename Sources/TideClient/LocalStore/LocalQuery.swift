import GRDB
import TideModel

/// A sort key of a local query.
public struct SortKey: Sendable, Hashable {
    public var field: String
    public var ascending: Bool

    public init(_ field: String, ascending: Bool = true) {
        self.field = field
        self.ascending = ascending
    }

    /// `FIELD`, `FIELD:asc` or `FIELD:desc` (as `tide query --sort` takes it).
    public init(parsing text: String) throws(TideClientError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let field = parts.first, !field.isEmpty else { throw .invalidQuery("empty sort field") }
        switch parts.count > 1 ? parts[1].lowercased() : "asc" {
        case "asc": self.init(field, ascending: true)
        case "desc": self.init(field, ascending: false)
        default: throw .invalidQuery("sort direction must be asc or desc, got '\(parts[1])'")
        }
    }
}

/// A local query: a filter with the shared evaluator's semantics, a sort and a limit.
///
/// The filter runs in two steps. Comparisons SQL can decide over a column (an `eq`, range,
/// `between`, `in` or ASCII `beginsWith` on a scalar field, in the filter's top-level AND) become
/// a SQL prefilter that uses the table's indexes; it is built so that it never rejects a record
/// the evaluator would accept (a superset: SQLite's NULLs and cross-type comparisons can only
/// let more rows through). Every row that passes is then checked with
/// `TideModel.FilterEvaluator`, so the result is exactly the evaluator's, as on the server.
/// Rows come in sort order from SQL and the scan stops at the limit.
struct LocalQuery: Sendable {
    let table: ModelTable
    let filter: QueryFilter?
    let sort: [SortKey]
    let limit: Int?
    /// Restrict to one id (`observe(model:id:)`).
    var id: String?

    init(table: ModelTable, filter: QueryFilter?, sort: [SortKey], limit: Int?, id: String? = nil) throws(TideClientError) {
        for key in sort {
            guard let kind = table.kind(of: key.field), kind != .json else {
                throw .invalidQuery("cannot sort \(table.model.name) by '\(key.field)' (not a scalar field)")
            }
        }
        if let limit, limit < 0 { throw .invalidQuery("limit must not be negative") }
        self.table = table
        self.filter = filter
        self.sort = sort
        self.limit = limit
        self.id = id
    }

    /// The statement: the prefilter, the sort, ties broken by id.
    func sql() -> (String, StatementArguments) {
        var conditions = ["\"$deleted\" = 0"]
        var arguments: [DatabaseValue] = []
        if let id {
            conditions.append("id = ?")
            arguments.append(id.databaseValue)
        }
        if let expression = filter?.expression {
            for (condition, values) in Self.prefilter(expression, table: table) {
                conditions.append(condition)
                arguments += values
            }
        }
        var order = sort.map { key in
            "\(ModelTable.quote(ModelTable.column(for: key.field, model: table.model) ?? key.field)) \(key.ascending ? "ASC" : "DESC")"
        }
        order.append("id ASC")
        let sql = "\(table.selectSQL) WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(order.joined(separator: ", "))"
        return (sql, StatementArguments(arguments))
    }

    func run(_ db: Database) throws -> [ClientRecord] {
        let (sql, arguments) = sql()
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        var results: [ClientRecord] = []
        if limit == 0 { return results }
        while let row = try cursor.next() {
            guard let record = table.clientRecord(row) else { continue }
            if let expression = filter?.expression, !FilterEvaluator.matches(expression, record.values) { continue }
            results.append(record)
            if let limit, results.count >= limit { break }
        }
        return results
    }

    /// SQL conditions implied by the expression (each true for every record the evaluator accepts).
    static func prefilter(_ expression: FilterExpression, table: ModelTable) -> [(String, [DatabaseValue])] {
        switch expression {
        case .and(let parts): return parts.flatMap { prefilter($0, table: table) }
        case .field(let name, let predicate):
            guard let kind = table.kind(of: name), kind != .json, let column = ModelTable.column(for: name, model: table.model)
            else { return [] }
            return condition(ModelTable.quote(column), kind: kind, predicate).map { [$0] } ?? []
        case .or, .not: return []
        }
    }

    private static func condition(_ column: String, kind: ModelTable.Kind, _ predicate: FieldPredicate) -> (String, [DatabaseValue])? {
        func value(_ operand: JSONValue) -> DatabaseValue? {
            switch operand {
            case .string(let s): s.databaseValue
            case .int(let i): i.databaseValue
            case .double(let d): d.databaseValue
            case .bool(let b) where kind == .boolean: (b ? 1 : 0).databaseValue
            default: nil
            }
        }
        switch predicate {
        case .eq(let operand): return value(operand).map { ("\(column) = ?", [$0]) }
        case .lt(let operand): return value(operand).map { ("\(column) < ?", [$0]) }
        case .le(let operand): return value(operand).map { ("\(column) <= ?", [$0]) }
        case .gt(let operand): return value(operand).map { ("\(column) > ?", [$0]) }
        case .ge(let operand): return value(operand).map { ("\(column) >= ?", [$0]) }
        case .between(let low, let high):
            guard let low = value(low), let high = value(high) else { return nil }
            return ("\(column) BETWEEN ? AND ?", [low, high])
        case .in(let options):
            let values = options.compactMap(value)
            guard !values.isEmpty, values.count == options.count else { return nil }
            return ("\(column) IN (\(Array(repeating: "?", count: values.count).joined(separator: ", ")))", values)
        case .beginsWith(let prefix):
            // [prefix, prefix with its last byte raised): only for an ASCII last byte below 0x7F.
            guard kind == .text, let last = prefix.utf8.last, last < 0x7F else { return nil }
            let upper = String(decoding: prefix.utf8.dropLast() + [last + 1], as: UTF8.self)
            return ("\(column) >= ? AND \(column) < ?", [prefix.databaseValue, upper.databaseValue])
        case .ne, .contains, .notContains, .attributeExists, .notIn:
            return nil
        }
    }
}

extension LocalStore {
    func query(_ query: LocalQuery) async throws(TideClientError) -> [ClientRecord] {
        try await read { db in try query.run(db) }
    }
}
