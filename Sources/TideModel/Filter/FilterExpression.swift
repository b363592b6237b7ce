/// A filter or condition over one record, in the shape of Amplify's generated filter inputs
/// (`ModelXFilterInput`, `ModelXConditionInput`, `ModelSubscriptionXFilterInput`):
/// `{ title: { beginsWith: "a" }, or: [{ done: { eq: true } }, { priority: { gt: 2 } }] }`.
///
/// One type serves list filters (compiled to SQL by the store), conditions (evaluated inside the
/// write transaction) and subscription filters, so all three agree on what matches.
public indirect enum FilterExpression: Sendable, Hashable {
    case and([FilterExpression])
    case or([FilterExpression])
    case not(FilterExpression)
    case field(String, FieldPredicate)

    /// Matches everything.
    public static let all = FilterExpression.and([])
}

/// One comparison on one field.
public enum FieldPredicate: Sendable, Hashable {
    case eq(JSONValue)
    case ne(JSONValue)
    case le(JSONValue)
    case lt(JSONValue)
    case ge(JSONValue)
    case gt(JSONValue)
    /// Substring of a string, or element of a list.
    case contains(JSONValue)
    case notContains(JSONValue)
    /// Inclusive range.
    case between(JSONValue, JSONValue)
    case beginsWith(String)
    /// `true`: the field is present and not null; `false`: absent or null.
    case attributeExists(Bool)
    case `in`([JSONValue])
    case notIn([JSONValue])
}

extension FilterExpression {
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// How deeply `and`, `or` and `not` may nest in one filter.
    ///
    /// The store compiles a filter to one SQL expression, and SQLite's parser (3.40, a fixed
    /// stack of 100 entries) fails with "parser stack overflow" at about 40 nested `AND`/`OR`
    /// groups or 45 nested `NOT`s; 20 keeps every filter, with the read rules and the paging
    /// condition joined to it, well inside that. Amplify's generated filters and DataStore's
    /// predicate groups nest a few levels.
    public static let maxNesting = 20

    /// Builds an expression from a filter input object (already coerced to its GraphQL input
    /// type). Several keys in one object are AND-ed, as in Amplify.
    public init(input: JSONValue) throws(ParseError) {
        try self.init(input: input, nesting: 0)
    }

    private init(input: JSONValue, nesting: Int) throws(ParseError) {
        guard case .object(let object) = input else { throw ParseError("a filter must be an object") }
        var parts: [FilterExpression] = []
        for key in object.keys.sorted() {
            let value = object[key]!
            if value.isNull { continue }
            switch key {
            case "and", "or":
                guard case .array(let items) = value else { throw ParseError("'\(key)' takes a list of filters") }
                let inner = try Self.nested(nesting)
                var subs: [FilterExpression] = []
                for item in items where !item.isNull { subs.append(try FilterExpression(input: item, nesting: inner)) }
                parts.append(key == "and" ? .and(subs) : .or(subs))
            case "not":
                parts.append(.not(try FilterExpression(input: value, nesting: try Self.nested(nesting))))
            default:
                guard case .object(let ops) = value else { throw ParseError("field '\(key)' takes an object of operators") }
                for op in ops.keys.sorted() {
                    let operand = ops[op]!
                    parts.append(.field(key, try FieldPredicate(operator: op, operand: operand, field: key)))
                }
            }
        }
        self = parts.count == 1 ? parts[0] : .and(parts)
    }

    /// The nesting inside one more `and`, `or` or `not`.
    private static func nested(_ nesting: Int) throws(ParseError) -> Int {
        guard nesting < maxNesting else {
            throw ParseError("'and', 'or' and 'not' may nest at most \(maxNesting) levels deep")
        }
        return nesting + 1
    }

    /// The field names this expression refers to.
    public var referencedFields: Set<String> {
        switch self {
        case .and(let subs), .or(let subs): subs.reduce(into: Set()) { $0.formUnion($1.referencedFields) }
        case .not(let sub): sub.referencedFields
        case .field(let name, _): [name]
        }
    }
}

extension FieldPredicate {
    /// One operator of a `ModelXInput` object, e.g. `("beginsWith", "ab")`.
    public init(operator op: String, operand: JSONValue, field: String) throws(FilterExpression.ParseError) {
        switch op {
        case "eq": self = .eq(operand)
        case "ne": self = .ne(operand)
        case "le": self = .le(operand)
        case "lt": self = .lt(operand)
        case "ge": self = .ge(operand)
        case "gt": self = .gt(operand)
        case "contains": self = .contains(operand)
        case "notContains": self = .notContains(operand)
        case "between":
            guard case .array(let bounds) = operand, bounds.count == 2 else {
                throw .init("'between' on '\(field)' takes exactly two values")
            }
            self = .between(bounds[0], bounds[1])
        case "beginsWith":
            guard case .string(let prefix) = operand else { throw .init("'beginsWith' on '\(field)' takes a string") }
            self = .beginsWith(prefix)
        case "attributeExists":
            guard case .bool(let exists) = operand else { throw .init("'attributeExists' on '\(field)' takes a Boolean") }
            self = .attributeExists(exists)
        case "in", "notIn":
            guard case .array(let values) = operand else { throw .init("'\(op)' on '\(field)' takes a list") }
            self = op == "in" ? .in(values) : .notIn(values)
        default:
            throw .init("unknown filter operator '\(op)' on '\(field)'")
        }
    }
}
