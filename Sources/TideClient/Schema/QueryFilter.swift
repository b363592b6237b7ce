import TideModel

/// A filter checked against its model with the rules of the server's generated filter input
/// (`ModelXFilterInput`: which fields are filterable, which operators each type takes, operand
/// types coerced as the server coerces them), so a filter means the same thing in a local query
/// as in a server request. Evaluated locally with `TideModel.FilterEvaluator`, the evaluator the
/// server uses.
///
/// ```swift
/// let filter = try QueryFilter(["priority": ["ge": 2], "or": [["done": ["eq": false]]]], model: "Note", schema: schema)
/// ```
public struct QueryFilter: Sendable, Hashable {
    /// The filter as an expression, for the evaluator.
    public let expression: FilterExpression
    /// The filter input with its operands coerced, as sent to the server.
    public let input: JSONValue

    /// Checks `input` (the Amplify filter input object) against `model`; throws `invalidQuery`
    /// naming the field or operator that does not fit.
    public init(_ input: JSONValue, model: String, schema: ClientSchema) throws(TideClientError) {
        let description = try schema.model(model)
        let checker = Checker(schema: schema.app, model: description.model)
        let coerced = try checker.check(input, path: "filter")
        do {
            expression = try FilterExpression(input: coerced)
        } catch {
            throw .invalidQuery("invalid filter: \(error.message)")
        }
        self.input = coerced
    }

    /// Filter input kinds, as in TideSchema's `GeneratedInputs` (Amplify v2): the operators each
    /// takes and the scalar its operands are coerced to.
    enum Family: Equatable {
        case string, id, int, float, boolean
        case enumeration(String)
        case enumerationList(String)

        var operators: Set<String> {
            switch self {
            case .string, .id:
                ["ne", "eq", "le", "lt", "ge", "gt", "contains", "notContains", "between", "beginsWith", "attributeExists", "in", "notIn"]
            case .int, .float: ["ne", "eq", "le", "lt", "ge", "gt", "between", "attributeExists", "in", "notIn"]
            case .boolean: ["ne", "eq", "attributeExists"]
            case .enumeration: ["eq", "ne", "in", "notIn", "attributeExists"]
            case .enumerationList: ["eq", "ne", "contains", "notContains"]
            }
        }

        /// The family of a field type; nil for fields the server does not filter (embedded
        /// objects, `AWSJSON`).
        init?(_ type: FieldType) {
            switch type.base {
            case .embedded: return nil
            case .enumeration(let name): self = type.isList ? .enumerationList(name) : .enumeration(name)
            case .scalar(let scalar):
                switch scalar {
                case .id: self = .id
                case .string, .awsDateTime, .awsDate, .awsTime, .awsEmail, .awsPhone, .awsURL, .awsIPAddress: self = .string
                case .int, .awsTimestamp: self = .int
                case .float: self = .float
                case .boolean: self = .boolean
                case .awsJSON: return nil
                }
            }
        }
    }

    private struct Checker {
        let schema: AppSchema
        let model: ModelType

        func family(of name: String) -> Family? {
            if let field = model.field(named: name) { return Family(field.type) }
            if name == model.createdAtField || name == model.updatedAtField { return .string }
            if name == Record.MetaField.deleted { return .boolean }
            return nil
        }

        func check(_ value: JSONValue, path: String) throws(TideClientError) -> JSONValue {
            guard case .object(let object) = value else { throw .invalidQuery("\(path) must be an object") }
            var checked: [String: JSONValue] = [:]
            for key in object.keys.sorted() {
                let item = object[key]!
                switch key {
                case "and", "or":
                    guard case .array(let parts) = item else { throw .invalidQuery("\(path).\(key) takes a list of filters") }
                    var list: [JSONValue] = []
                    for (index, part) in parts.enumerated() { list.append(try check(part, path: "\(path).\(key)[\(index)]")) }
                    checked[key] = .array(list)
                case "not":
                    checked[key] = try check(item, path: "\(path).not")
                default:
                    guard let family = family(of: key) else {
                        if model.field(named: key) != nil { throw .invalidQuery("\(model.name).\(key) cannot be filtered on") }
                        throw .invalidQuery("\(model.name) has no field '\(key)'")
                    }
                    if item.isNull { continue }
                    guard case .object(let operators) = item else {
                        throw .invalidQuery("\(path).\(key) takes an object of operators, e.g. {\"eq\": …}")
                    }
                    var ops: [String: JSONValue] = [:]
                    for op in operators.keys.sorted() {
                        guard family.operators.contains(op) else {
                            throw .invalidQuery("unknown operator '\(op)' on \(model.name).\(key) (allowed: \(family.operators.sorted().joined(separator: ", ")))")
                        }
                        ops[op] = try operand(operators[op]!, op: op, family: family, path: "\(path).\(key).\(op)")
                    }
                    checked[key] = .object(ops)
                }
            }
            return .object(checked)
        }

        func operand(_ value: JSONValue, op: String, family: Family, path: String) throws(TideClientError) -> JSONValue {
            if value.isNull { return .null }
            switch op {
            case "attributeExists":
                guard case .bool = value else { throw .invalidQuery("\(path) takes true or false") }
                return value
            case "between", "in", "notIn":
                guard case .array(let items) = value else { throw .invalidQuery("\(path) takes a list") }
                if op == "between", items.count != 2 { throw .invalidQuery("\(path) takes exactly two values") }
                var list: [JSONValue] = []
                for item in items { list.append(try scalar(item, family: family, path: path)) }
                return .array(list)
            case "eq" where family.isList, "ne" where family.isList:
                guard case .array(let items) = value else { throw .invalidQuery("\(path) takes a list") }
                var list: [JSONValue] = []
                for item in items { list.append(try scalar(item, family: family, path: path)) }
                return .array(list)
            default:
                return try scalar(value, family: family, path: path)
            }
        }

        func scalar(_ value: JSONValue, family: Family, path: String) throws(TideClientError) -> JSONValue {
            if value.isNull { return .null }
            let target: Scalar
            switch family {
            case .string: target = .string
            case .id: target = .id
            case .int: target = .int
            case .float: target = .float
            case .boolean: target = .boolean
            case .enumeration(let name), .enumerationList(let name):
                guard case .string(let text) = value, schema.enumType(named: name)?.values.contains(text) == true else {
                    throw .invalidQuery("\(path): \(value.jsonString) is not a \(name)")
                }
                return value
            }
            switch ScalarCoercion.coerce(value, as: target) {
            case .success(let coerced): return coerced
            case .failure(let error): throw .invalidQuery("\(path): \(error.message)")
            }
        }
    }
}

extension QueryFilter.Family {
    var isList: Bool { if case .enumerationList = self { true } else { false } }
}
