import TideSQLite

/// A piece of a WHERE clause with its parameters in text order, or a constant.
///
/// Every fragment the filter compiler builds is two-valued (never SQL NULL), so `NOT`, `AND` and
/// `OR` behave as the in-memory evaluator's Boolean operators.
enum SQLFragment: Hashable {
    case constant(Bool)
    case sql(String, [SQLBinding])

    static let `true` = SQLFragment.constant(true)
    static let `false` = SQLFragment.constant(false)

    init(_ sql: String, _ bindings: [SQLBinding] = []) { self = .sql(sql, bindings) }

    /// Conjunction; empty is true.
    static func all(_ parts: [SQLFragment]) -> SQLFragment { combine(parts, op: "AND", identity: true) }

    /// Disjunction; empty is false.
    static func any(_ parts: [SQLFragment]) -> SQLFragment { combine(parts, op: "OR", identity: false) }

    private static func combine(_ parts: [SQLFragment], op: String, identity: Bool) -> SQLFragment {
        var texts: [String] = []
        var bindings: [SQLBinding] = []
        for part in parts {
            switch part {
            case .constant(let value):
                if value != identity { return .constant(value) }  // absorbing element
            case .sql(let text, let b):
                texts.append(text)
                bindings += b
            }
        }
        if texts.isEmpty { return .constant(identity) }
        if texts.count == 1 { return .sql(texts[0], bindings) }
        return .sql("(" + texts.joined(separator: " \(op) ") + ")", bindings)
    }

    static func not(_ part: SQLFragment) -> SQLFragment {
        switch part {
        case .constant(let value): .constant(!value)
        case .sql(let text, let bindings): .sql("NOT (\(text))", bindings)
        }
    }
}
