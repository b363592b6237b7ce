import GraphQL
import TideModel

/// Turns GraphQL literal values (with variables substituted) into JSON values.
enum LiteralValue {
    /// `variables` holds the coerced variable values; an absent variable becomes null (callers
    /// skip absent variables in object fields and arguments themselves, per the spec).
    static func resolve(_ value: any Value, variables: [String: JSONValue]) -> JSONValue {
        switch value {
        case let v as Variable: return variables[v.name.value] ?? .null
        case let v as IntValue: return Int64(v.value).map(JSONValue.int) ?? .double(Double(v.value) ?? 0)
        case let v as FloatValue: return .double(Double(v.value) ?? 0)
        case let v as StringValue: return .string(v.value)
        case let v as BooleanValue: return .bool(v.value)
        case is NullValue: return .null
        case let v as EnumValue: return .string(v.value)
        case let v as ListValue: return .array(v.values.map { resolve($0, variables: variables) })
        case let v as ObjectValue:
            var object: [String: JSONValue] = [:]
            for field in v.fields {
                // An object field given as an unset variable is treated as absent (spec §5.6.2).
                if let variable = field.value as? Variable, variables[variable.name.value] == nil { continue }
                object[field.name.value] = resolve(field.value, variables: variables)
            }
            return .object(object)
        default: return .null
        }
    }
}
