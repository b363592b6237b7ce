import TideModel
import TideSQLite

/// Compiles a ``FilterExpression`` into a parameterized WHERE fragment with exactly the
/// semantics of ``FilterEvaluator`` on the record's values.
///
/// The column's kind is known, so each predicate is decided per kind: an operand of a kind the
/// column can never hold folds to a constant (as the evaluator's cross-kind comparisons are
/// false), and every emitted fragment is two-valued — equality uses `IS`, comparisons are
/// guarded with `IS NOT NULL` — so `NOT` keeps DynamoDB's semantics (`ne` and `notContains`
/// match a missing value). Values are always bound, never interpolated.
struct SQLFilterCompiler {
    let table: ModelTable

    func compile(_ expression: FilterExpression) throws(StoreError) -> SQLFragment {
        try SQLFragment.compile(expression) { leaf throws(StoreError) in
            guard let column = table.filterColumns[leaf.field] else { throw .invalidQuery("unknown field '\(leaf.field)' in filter") }
            return Self.predicate(leaf.predicate, on: column)
        }
    }

    /// Throws `invalidQuery` for a field a filter may not name.
    func validateFields(_ expression: FilterExpression) throws(StoreError) {
        for name in expression.referencedFields where table.filterColumns[name] == nil {
            throw .invalidQuery("unknown field '\(name)' in filter")
        }
    }

    static func predicate(_ predicate: FieldPredicate, on column: ColumnRef) -> SQLFragment {
        switch predicate {
        case .eq(let operand): return equals(column, operand)
        case .ne(let operand): return .not(equals(column, operand))
        case .lt(let operand): return compare(column, "<", operand)
        case .le(let operand): return compare(column, "<=", operand)
        case .gt(let operand): return compare(column, ">", operand)
        case .ge(let operand): return compare(column, ">=", operand)
        case .between(let low, let high):
            guard let l = comparable(column, low), let h = comparable(column, high) else { return .false }
            return guarded(column, SQLFragment("\(column.sql) >= ? AND \(column.sql) <= ?", [l, h]))
        case .beginsWith(let prefix):
            guard column.kind == .text else { return .false }
            return beginsWith(column, prefix)
        case .contains(let operand): return contains(column, operand)
        case .notContains(let operand): return .not(contains(column, operand))
        case .attributeExists(let exists):
            guard column.nullable else { return .constant(exists) }
            return SQLFragment(exists ? "\(column.sql) IS NOT NULL" : "\(column.sql) IS NULL")
        case .in(let options): return .any(options.map { equals(column, $0) })
        case .notIn(let options): return .not(.any(options.map { equals(column, $0) }))
        }
    }

    /// `FilterEvaluator.equals(value, operand)`: numbers by value, everything else by kind and content.
    static func equals(_ column: ColumnRef, _ operand: JSONValue) -> SQLFragment {
        if operand.isNull { return column.nullable ? SQLFragment("\(column.sql) IS NULL") : .false }
        guard let binding = equalityBinding(column.kind, operand) else { return .false }
        return SQLFragment("\(column.sql) IS ?", [binding])
    }

    /// The bound value that equals `operand` in a column of this kind, or nil when no stored
    /// value of the column can equal it.
    static func equalityBinding(_ kind: ColumnKind, _ operand: JSONValue) -> SQLBinding? {
        switch (kind, operand) {
        case (.text, .string(let s)): .text(s)
        case (.integer, .int(let i)), (.real, .int(let i)): .int(i)
        case (.integer, .double(let d)), (.real, .double(let d)): .double(d)
        case (.boolean, .bool(let b)): .int(b ? 1 : 0)
        // Stored JSON is canonical (sorted keys, one spelling per number), so equal text is
        // structural equality.
        case (.list, .array), (.object, .object): .text(operand.jsonString)
        default: nil
        }
    }

    /// `FilterEvaluator.compare`: strings with strings (bytes), numbers with numbers.
    static func comparable(_ column: ColumnRef, _ operand: JSONValue) -> SQLBinding? {
        switch (column.kind, operand) {
        case (.text, .string(let s)): .text(s)
        case (.integer, .int(let i)), (.real, .int(let i)): .int(i)
        case (.integer, .double(let d)), (.real, .double(let d)): .double(d)
        default: nil
        }
    }

    static func compare(_ column: ColumnRef, _ op: String, _ operand: JSONValue) -> SQLFragment {
        guard let binding = comparable(column, operand) else { return .false }
        return guarded(column, SQLFragment("\(column.sql) \(op) ?", [binding]))
    }

    /// Makes a comparison two-valued: false (not NULL) when the column is NULL.
    static func guarded(_ column: ColumnRef, _ fragment: SQLFragment) -> SQLFragment {
        guard case .sql(let text, let bindings) = fragment else { return fragment }
        return column.nullable ? SQLFragment("(\(column.sql) IS NOT NULL AND \(text))", bindings) : SQLFragment("(\(text))", bindings)
    }

    /// A byte-prefix test as a range `[prefix, successor)`, which an index can serve.
    static func beginsWith(_ column: ColumnRef, _ prefix: String) -> SQLFragment {
        guard let upper = prefixSuccessor(prefix) else {
            return column.nullable ? SQLFragment("\(column.sql) IS NOT NULL") : .true
        }
        return guarded(column, SQLFragment("\(column.sql) >= ? AND \(column.sql) < ?", [.text(prefix), .textBytes(upper)]))
    }

    /// The smallest byte string greater than every string starting with `prefix` (nil for the
    /// empty prefix). UTF-8 never contains 0xFF, so incrementing the last byte always works.
    static func prefixSuccessor(_ prefix: String) -> [UInt8]? {
        var bytes = Array(prefix.utf8)
        guard let last = bytes.popLast() else { return nil }
        bytes.append(last + 1)
        return bytes
    }

    /// Substring of a string column; membership in a list column (items compared as the
    /// evaluator's `equals`: numbers by value, other kinds by kind and content).
    static func contains(_ column: ColumnRef, _ operand: JSONValue) -> SQLFragment {
        switch column.kind {
        case .text:
            guard case .string(let needle) = operand else { return .false }
            if needle.isEmpty { return column.nullable ? SQLFragment("\(column.sql) IS NOT NULL") : .true }
            return guarded(column, SQLFragment("instr(\(column.sql), ?) > 0", [.text(needle)]))
        case .list:
            let each = "EXISTS (SELECT 1 FROM json_each(\(column.sql)) WHERE "
            switch operand {
            case .null: return SQLFragment(each + "type = 'null')")
            case .bool(let b): return SQLFragment(each + (b ? "type = 'true')" : "type = 'false')"))
            case .int(let i): return SQLFragment(each + "type IN ('integer', 'real') AND value = ?)", [.int(i)])
            case .double(let d): return SQLFragment(each + "type IN ('integer', 'real') AND value = ?)", [.double(d)])
            case .string(let s): return SQLFragment(each + "type = 'text' AND value = ?)", [.text(s)])
            case .array: return SQLFragment(each + "type = 'array' AND value = ?)", [.text(operand.jsonString)])
            case .object: return SQLFragment(each + "type = 'object' AND value = ?)", [.text(operand.jsonString)])
            }
        case .integer, .real, .boolean, .object:
            return .false
        }
    }
}
