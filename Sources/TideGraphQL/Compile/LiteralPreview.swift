import GraphQL
import TideModel

/// A GraphQL value literal as one line of GraphQL, cut to about ``JSONValue/previewLimit``
/// bytes, for error messages.
///
/// GraphQLSwift's own printer (`print(ast:)`) prints a list or object twice at every level whose
/// one-line form is longer than 80 characters, so its cost doubles with each level of nesting;
/// this one writes each node once and stops at the limit.
enum LiteralPreview {
    static func text(_ value: any Value) -> String {
        var out = ""
        write(value, to: &out)
        return out.preview(limit: JSONValue.previewLimit)
    }

    /// Recursion is bounded by the document scan (``GraphQLLimits/maxInputDepth``).
    private static func write(_ value: any Value, to out: inout String) {
        if out.utf8.count > JSONValue.previewLimit { return }
        switch value {
        case let v as Variable: out += "$" + v.name.value
        case let v as IntValue: out += v.value.preview(limit: JSONValue.previewLimit)
        case let v as FloatValue: out += v.value.preview(limit: JSONValue.previewLimit)
        case let v as StringValue: out += JSONValue.string(v.value.preview(limit: JSONValue.previewLimit)).jsonString
        case let v as BooleanValue: out += v.value ? "true" : "false"
        case is NullValue: out += "null"
        case let v as EnumValue: out += v.value.preview(limit: JSONValue.previewLimit)
        case let v as ListValue:
            out += "["
            for (i, item) in v.values.enumerated() {
                if out.utf8.count > JSONValue.previewLimit { return }
                if i > 0 { out += ", " }
                write(item, to: &out)
            }
            out += "]"
        case let v as ObjectValue:
            out += "{"
            for (i, field) in v.fields.enumerated() {
                if out.utf8.count > JSONValue.previewLimit { return }
                if i > 0 { out += ", " }
                out += field.name.value.preview(limit: JSONValue.previewLimit) + ": "
                write(field.value, to: &out)
            }
            out += "}"
        default:
            out += "…"
        }
    }
}
