import GraphQL
import TideModel

/// Counts the names a document uses that the schema does not define, before GraphQLSwift's
/// validation looks for what was meant.
///
/// For each unknown field, argument, type, input field and enum value, GraphQLSwift 4.3's rules
/// measure the edit distance from the name to every name that could have been meant, allocating
/// a row per character of it: 5,000 unknown fields took 0.7 s, a single unknown name of 30 KB
/// over a second. This rule refuses a document with more than ``maxUnknownNames`` of them, or
/// one longer than ``maxNameBytes`` (longer than any name worth suggesting for), quoting a few;
/// otherwise validation reports each, with its suggestions. Run beside ``CompositeLiteralRule``,
/// before the specified rules.
enum UnknownNamesRule {
    static let maxUnknownNames = 25
    static let maxNameBytes = 100

    static let rule: @Sendable (ValidationContext) -> Visitor = { context in
        var unknown: [String] = []
        func refuse(_ name: String, byteCount: Int, _ node: any Node) -> VisitResult {
            unknown.append(name)
            if byteCount > maxNameBytes {
                context.report(
                    error: GraphQLError(
                        message: "\"\(name.preview(limit: 40))\" is not a name the schema defines.", nodes: [node]))
                return .break
            }
            guard unknown.count > maxUnknownNames else { return .continue }
            let quoted = unknown.prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
            context.report(
                error: GraphQLError(
                    message: "More than \(maxUnknownNames) names in the document are not defined by the schema: \(quoted) …",
                    nodes: [node]))
            return .break
        }
        return Visitor(enter: { node, _, _, _, _ in
            switch node {
            case let field as GraphQL.Field:
                guard context.parentType != nil, context.fieldDef == nil else { return .continue }
                return refuse(field.name.value, byteCount: field.name.value.utf8.count, field)
            case let argument as Argument:
                guard context.argument == nil, context.directive != nil || context.fieldDef != nil else { return .continue }
                return refuse(argument.name.value, byteCount: argument.name.value.utf8.count, argument)
            case let type as NamedType:
                guard context.schema.getType(name: type.name.value) == nil else { return .continue }
                return refuse(type.name.value, byteCount: type.name.value.utf8.count, type)
            case let field as ObjectField:
                guard context.inputType == nil, getNamedType(type: context.parentInputType) is GraphQLInputObjectType else {
                    return .continue
                }
                return refuse(field.name.value, byteCount: field.name.value.utf8.count, field)
            case let value as any Value:
                // At an enum position GraphQLSwift looks for the value's printed form among the enum's.
                guard let enumType = getNamedType(type: context.inputType) as? GraphQLEnumType else { return .continue }
                switch value {
                case let name as EnumValue:
                    guard enumType.nameLookup[name.value] == nil else { return .continue }
                    return refuse(name.value, byteCount: name.value.utf8.count, value)
                case let string as StringValue:
                    return refuse(LiteralPreview.text(string), byteCount: string.value.utf8.count + 2, value)
                case let number as IntValue:
                    return refuse(number.value, byteCount: number.value.utf8.count, value)
                case let number as FloatValue:
                    return refuse(number.value, byteCount: number.value.utf8.count, value)
                default:
                    return .continue
                }
            default:
                return .continue
            }
        })
    }
}
