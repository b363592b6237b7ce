/// Evaluates a ``FilterExpression`` against one record's values.
///
/// Semantics follow DynamoDB condition expressions, which Amplify filters compile to:
/// comparing values of different kinds is false (so `ne` is true), a missing field equals only
/// `null`, strings compare by their UTF-8 bytes (as SQLite's BINARY collation does, so SQL and
/// in-memory evaluation agree), `contains` is a substring test on strings and a membership test
/// on lists.
public enum FilterEvaluator {
    /// `record` maps field names to values; absent keys are missing attributes.
    public static func matches(_ expression: FilterExpression, _ record: [String: JSONValue]) -> Bool {
        switch expression {
        case .and(let subs): return subs.allSatisfy { matches($0, record) }
        case .or(let subs): return subs.isEmpty || subs.contains { matches($0, record) }
        case .not(let sub): return !matches(sub, record)
        case .field(let name, let predicate): return evaluate(predicate, record[name] ?? .null)
        }
    }

    static func evaluate(_ predicate: FieldPredicate, _ value: JSONValue) -> Bool {
        switch predicate {
        case .eq(let operand): return equals(value, operand)
        case .ne(let operand): return !equals(value, operand)
        case .lt(let operand): return compare(value, operand).map { $0 < 0 } ?? false
        case .le(let operand): return compare(value, operand).map { $0 <= 0 } ?? false
        case .gt(let operand): return compare(value, operand).map { $0 > 0 } ?? false
        case .ge(let operand): return compare(value, operand).map { $0 >= 0 } ?? false
        case .between(let low, let high):
            guard let l = compare(value, low), let h = compare(value, high) else { return false }
            return l >= 0 && h <= 0
        case .beginsWith(let prefix):
            guard case .string(let s) = value else { return false }
            return s.utf8.starts(with: prefix.utf8)
        case .contains(let operand): return contains(value, operand)
        case .notContains(let operand):
            // DynamoDB: NOT contains(...) on a missing attribute is true.
            return !contains(value, operand)
        case .attributeExists(let exists): return value.isNull != exists
        case .in(let options): return options.contains { equals(value, $0) }
        case .notIn(let options): return !options.contains { equals(value, $0) }
        }
    }

    /// Equality with numbers compared by value (`1 == 1.0`), strings by their UTF-8 bytes.
    public static func equals(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if case .int(let x) = a, case .int(let y) = b { return x == y }  // exact beyond 2^53
        if let x = a.numberValue, let y = b.numberValue { return x == y }
        return identical(a, b)
    }

    /// Structural equality with strings compared by bytes. (`String ==` uses canonical
    /// equivalence, so "é" precomposed would equal "e" + U+0301, unlike SQLite's BINARY.)
    static func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { identical(value, $0) } ?? false }
        default: return a == b
        }
    }

    /// Orders two scalars of the same kind; `nil` when they are not comparable.
    public static func compare(_ a: JSONValue, _ b: JSONValue) -> Int? {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)):
            if x.utf8.elementsEqual(y.utf8) { return 0 }
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
        default:
            guard let x = a.numberValue, let y = b.numberValue else { return nil }
            return x < y ? -1 : (x == y ? 0 : 1)
        }
    }

    static func contains(_ value: JSONValue, _ operand: JSONValue) -> Bool {
        switch value {
        case .string(let s):
            guard case .string(let needle) = operand else { return false }
            return needle.isEmpty || s.utf8.firstRange(of: needle.utf8) != nil
        case .array(let items):
            return items.contains { equals($0, operand) }
        default:
            return false
        }
    }
}
