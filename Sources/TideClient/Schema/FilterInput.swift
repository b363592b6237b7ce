import TideModel

/// A ``FilterExpression`` written back as Amplify's filter input object (the inverse of
/// `FilterExpression(input:)`), for filters that go to the server after a rewrite.
enum FilterInput {
    static func encode(_ expression: FilterExpression) -> JSONValue {
        switch expression {
        case .and(let parts): return ["and": .array(parts.map(encode))]
        case .or(let parts): return ["or": .array(parts.map(encode))]
        case .not(let part): return ["not": encode(part)]
        case .field(let name, let predicate): return .object([name: .object([predicate.inputOperator: predicate.inputOperand])])
        }
    }
}

extension FieldPredicate {
    var inputOperator: String {
        switch self {
        case .eq: "eq"
        case .ne: "ne"
        case .le: "le"
        case .lt: "lt"
        case .ge: "ge"
        case .gt: "gt"
        case .contains: "contains"
        case .notContains: "notContains"
        case .between: "between"
        case .beginsWith: "beginsWith"
        case .attributeExists: "attributeExists"
        case .in: "in"
        case .notIn: "notIn"
        }
    }

    var inputOperand: JSONValue {
        switch self {
        case .eq(let v), .ne(let v), .le(let v), .lt(let v), .ge(let v), .gt(let v), .contains(let v), .notContains(let v): v
        case .between(let low, let high): .array([low, high])
        case .beginsWith(let prefix): .string(prefix)
        case .attributeExists(let exists): .bool(exists)
        case .in(let values), .notIn(let values): .array(values)
        }
    }
}
