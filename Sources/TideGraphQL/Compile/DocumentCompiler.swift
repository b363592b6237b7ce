import GraphQL
import TideModel

/// Parses and validates a document against the generated schema, then compiles it.
///
/// Parsing uses GraphQLSwift's parser and validation its implementation of the spec's rules,
/// so error messages are the reference ones; execution never touches GraphQLSwift.
struct DocumentCompiler {
    let schema: GraphQLSchema
    let types: TypeTable
    let models: [String: ModelType]
    let limits: GraphQLLimits

    func compile(_ text: String) -> Result<CompiledDocument, GraphQLFailure> {
        let source = Source(body: text, name: "GraphQL request")
        let document: Document
        do {
            document = try parse(source: source)
        } catch let error as GraphQLError {
            return .failure(.validation([GraphQLErrorBody(error, code: .graphQLParseFailed)]))
        } catch {
            return .failure(.request(message: "Syntax Error: \(error)", code: .graphQLParseFailed))
        }
        let errors = validate(schema: schema, ast: document)
        guard errors.isEmpty else {
            return .failure(.validation(errors.map { GraphQLErrorBody($0, code: .graphQLValidationFailed) }))
        }

        var fragments: [String: FragmentDefinition] = [:]
        for case let fragment as FragmentDefinition in document.definitions {
            fragments[fragment.name.value] = fragment
        }
        let lines = LineTable(text)
        var operations: [CompiledOperation] = []
        for case let definition as OperationDefinition in document.definitions {
            var aliasCount = 0
            let kind = OperationKind(rawValue: definition.operation.rawValue) ?? .query
            let selections = inline(
                definition.selectionSet, of: kind.rootType, fragments: fragments, conditions: [], lines: lines,
                aliasCount: &aliasCount)
            let depth = Self.depth(of: selections)
            let position = lines.location(definition.loc?.start ?? 0)
            if depth > limits.maxDepth {
                return .failure(Self.limitExceeded("Query depth \(depth) exceeds the maximum of \(limits.maxDepth).", at: position))
            }
            if aliasCount > limits.maxAliases {
                return .failure(
                    Self.limitExceeded(
                        "The operation uses \(aliasCount) aliases; at most \(limits.maxAliases) are allowed.", at: position))
            }
            let rootNames = Set(selections.map(\.name))
            let introspective = rootNames.contains("__schema") || rootNames.contains("__type")
            operations.append(
                CompiledOperation(
                    name: definition.name?.value,
                    kind: kind,
                    variables: definition.variableDefinitions.map {
                        VariableDefinitionPlan(
                            name: $0.variable.name.value, type: TypeRef($0.type),
                            defaultValue: $0.defaultValue.map { LiteralValue.resolve($0, variables: [:]) })
                    },
                    selections: selections,
                    rootNeedsCollection: Self.needsCollection(selections),
                    isIntrospection: introspective && rootNames.isSubset(of: ["__schema", "__type", "__typename"]),
                    touchesIntrospection: introspective,
                    depth: depth,
                    aliasCount: aliasCount
                ))
        }
        return .success(CompiledDocument(operations: operations))
    }

    /// The fields of `set`, a selection on an object of type `parentType`. All our output types
    /// are object types, so a fragment's selections are on the same type as the set it sits in.
    private func inline(
        _ set: SelectionSet, of parentType: String, fragments: [String: FragmentDefinition], conditions: [SelectionCondition],
        lines: LineTable, aliasCount: inout Int
    ) -> [FieldSelection] {
        var out: [FieldSelection] = []
        for selection in set.selections {
            switch selection {
            case let field as GraphQL.Field:
                if field.alias != nil { aliasCount += 1 }
                let name = field.name.value
                let type = name == "__typename" ? nil : types.outputField(parentType, name)?.type
                let children = field.selectionSet.map {
                    inline(
                        $0, of: type?.namedType ?? "", fragments: fragments, conditions: [], lines: lines, aliasCount: &aliasCount)
                } ?? []
                var isObject = false
                switch type.flatMap({ types.kind(of: $0.namedType) }) {
                case .object?, .union?: isObject = true
                default: break
                }
                out.append(
                    FieldSelection(
                        responseKey: field.alias?.value ?? name,
                        name: name,
                        arguments: field.arguments.map { (name: $0.name.value, value: ArgumentValue($0.value)) },
                        conditions: conditions + Self.conditions(field.directives),
                        children: children,
                        location: lines.location(field.loc?.start ?? 0),
                        childrenNeedCollection: Self.needsCollection(children),
                        type: type,
                        isObject: isObject,
                        recordSource: RecordSource(field: name, model: models[parentType])
                    ))
            case let spread as FragmentSpread:
                // Validation guarantees the fragment exists and spreads form no cycle.
                guard let fragment = fragments[spread.name.value] else { continue }
                let (type, member) = memberType(fragment.typeCondition.name.value, parentType)
                out += inline(
                    fragment.selectionSet, of: type, fragments: fragments,
                    conditions: conditions + Self.conditions(spread.directives) + member, lines: lines, aliasCount: &aliasCount)
            case let inlineFragment as InlineFragment:
                let (type, member) = memberType(inlineFragment.typeCondition?.name.value ?? parentType, parentType)
                out += inline(
                    inlineFragment.selectionSet, of: type, fragments: fragments,
                    conditions: conditions + Self.conditions(inlineFragment.directives) + member, lines: lines,
                    aliasCount: &aliasCount)
            default:
                continue
            }
        }
        return out
    }

    private static func limitExceeded(_ message: String, at position: Position) -> GraphQLFailure {
        .validation([GraphQLErrorBody(message: message, locations: [position], code: .graphQLValidationFailed)])
    }

    /// A fragment on a member of the union `parentType` selects on that member, and only when
    /// the value is one; on an object type, fragments are on that same type.
    private func memberType(_ condition: String, _ parentType: String) -> (String, [SelectionCondition]) {
        guard condition != parentType, case .union? = types.kind(of: parentType) else { return (parentType, []) }
        return (condition, [.onType(condition)])
    }

    private static func conditions(_ directives: [Directive]) -> [SelectionCondition] {
        directives.compactMap { directive in
            guard let condition = directive.arguments.first(where: { $0.name.value == "if" })?.value else { return nil }
            switch directive.name.value {
            case "include": return .include(condition)
            case "skip": return .skip(condition)
            default: return nil
            }
        }
    }

    static func needsCollection(_ selections: [FieldSelection]) -> Bool {
        var keys = Set<String>()
        for s in selections {
            if !s.conditions.isEmpty || !keys.insert(s.responseKey).inserted { return true }
        }
        return false
    }

    static func depth(of selections: [FieldSelection]) -> Int {
        selections.map { 1 + depth(of: $0.children) }.max() ?? 0
    }
}

/// Maps UTF-8 offsets in a document to 1-based line and column (`\n`, `\r\n` and `\r` end lines).
struct LineTable {
    private var lineStarts: [Int] = [0]

    init(_ text: String) {
        let bytes = Array(text.utf8)
        for (i, byte) in bytes.enumerated() {
            if byte == 0x0A || (byte == 0x0D && (i + 1 == bytes.count || bytes[i + 1] != 0x0A)) {
                lineStarts.append(i + 1)
            }
        }
    }

    func location(_ offset: Int) -> Position {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return Position(line: low + 1, column: offset - lineStarts[low] + 1)
    }
}
