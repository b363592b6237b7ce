import GraphQL

/// Refuses a list or input-object literal where the schema expects something else, before
/// GraphQLSwift's validation sees the document.
///
/// GraphQLSwift 4.3's `ValuesOfCorrectTypeRule` quotes such a literal in its message with the
/// library's printer, whose cost doubles with every level of nesting whose one-line form passes
/// 80 characters: `{ getNote(id: [[[…"a long string"…]]]) { id } }` a few dozen levels deep holds
/// the thread for minutes. Lists and objects are exactly the literals it prints (scalars print
/// in one pass), and it prints them only in these positions, so once this rule has passed a
/// document, validation prints nothing costly. Custom scalars (`AWSJSON` …) accept any literal
/// in GraphQLSwift, which then prints nothing; our input coercion refuses what they do not take.
///
/// Run on its own, before the specified rules:
///
/// ```swift
/// let errors = validate(schema: schema, ast: document, rules: [CompositeLiteralRule.rule])
/// ```
enum CompositeLiteralRule {
    static let rule: @Sendable (ValidationContext) -> Visitor = { context in
        var reported = 0
        func refuse(_ literal: any Value, at position: any GraphQLInputType) -> VisitResult {
            if let scalar = getNamedType(type: position) as? GraphQLScalarType, !specifiedScalars.contains(scalar.name) {
                return .skip
            }
            context.report(
                error: GraphQLError(
                    message: "Expected value of type \"\(position)\", found \(LiteralPreview.text(literal)).", nodes: [literal]))
            reported += 1
            // Enough to refuse the document: validation stops here (DocumentCompiler.maxReportedErrors).
            return reported > DocumentCompiler.maxReportedErrors ? .break : .skip
        }
        return Visitor(enter: { node, _, _, _, _ in
            switch node {
            case let list as ListValue:
                // TypeInfo has entered the list: its position's type is the parent input type.
                guard let position = context.parentInputType, !(nullable(position) is GraphQLList) else { return .continue }
                return refuse(list, at: position)
            case let object as ObjectValue:
                guard let position = context.inputType, !(getNamedType(type: position) is GraphQLInputObjectType) else {
                    return .continue
                }
                return refuse(object, at: position)
            default:
                return .continue
            }
        })
    }

    private static let specifiedScalars: Set<String> = ["String", "Int", "Float", "Boolean", "ID"]

    private static func nullable(_ type: any GraphQLInputType) -> any GraphQLType {
        (type as? GraphQLNonNull)?.ofType ?? type
    }
}
