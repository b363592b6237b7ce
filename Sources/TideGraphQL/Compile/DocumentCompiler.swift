import GraphQL
import TideModel

/// Parses and validates a document against the generated schema, then compiles it.
///
/// Parsing uses GraphQLSwift's parser and validation its implementation of the spec's rules,
/// so error messages are the reference ones; execution never touches GraphQLSwift. Before
/// either runs, the document's shape is bounded (``DocumentScan`` on the text,
/// ``SelectionDepth``, ``CompositeLiteralRule`` and ``UnknownNamesRule`` on the tree): the
/// parser and the rules recurse per level of nesting, one rule's messages cost time
/// exponential in it, and suggestions cost time per unknown name and its length.
struct DocumentCompiler {
    let schema: GraphQLSchema
    let types: TypeTable
    let models: [String: ModelType]
    let limits: GraphQLLimits

    /// Validation errors reported for one document; past them it is refused with
    /// graphql-js's "Too many validation errors" (graphql-js stops at 100).
    static let maxReportedErrors = 25

    func compile(_ text: String) -> Result<CompiledDocument, GraphQLFailure> {
        let lines = LineTable(text)
        let scan = DocumentScan(maxNesting: limits.maxNesting, maxInputDepth: limits.maxInputDepth, maxTokens: limits.maxTokens)
        switch scan.firstViolation(in: text) {
        case .nesting(let offset)?:
            return .failure(
                Self.limitExceeded(
                    "Syntax Error: the document nests brackets more than \(limits.maxNesting) levels deep.",
                    at: lines.location(offset), code: .graphQLParseFailed))
        case .inputDepth(let offset)?:
            return .failure(
                Self.limitExceeded(
                    "Lists and input objects may nest at most \(limits.maxInputDepth) levels deep in a value.",
                    at: lines.location(offset), code: .badUserInput))
        case .tokens(let offset)?:
            return .failure(
                Self.limitExceeded(
                    "Syntax Error: the document has more than \(limits.maxTokens) tokens.", at: lines.location(offset),
                    code: .graphQLParseFailed))
        case nil:
            break
        }
        let source = Source(body: text, name: "GraphQL request")
        let document: Document
        do {
            document = try parse(source: source)
        } catch let error as GraphQLError {
            return .failure(.validation([GraphQLErrorBody(error, code: .graphQLParseFailed)]))
        } catch {
            return .failure(.request(message: "Syntax Error: \(error)", code: .graphQLParseFailed))
        }

        let operationErrors = Self.operationNameErrors(document, lines: lines)
        guard operationErrors.isEmpty else { return .failure(.validation(Self.capped(operationErrors))) }

        var selectionDepth = SelectionDepth(document, maxNesting: limits.maxNesting)
        var depths: [ObjectIdentifier: Int] = [:]
        do {
            for definition in document.definitions {
                switch definition {
                case let operation as OperationDefinition:
                    let depth = try selectionDepth.depth(of: operation.selectionSet)
                    if depth > limits.maxDepth {
                        return .failure(
                            Self.limitExceeded(
                                "Query depth \(depth) exceeds the maximum of \(limits.maxDepth).",
                                at: lines.location(operation.loc?.start ?? 0)))
                    }
                    depths[ObjectIdentifier(operation)] = depth
                case let fragment as FragmentDefinition:
                    // Unused fragments too: validation follows their spreads as well.
                    _ = try selectionDepth.depth(of: fragment.selectionSet)
                default:
                    continue
                }
            }
        } catch {
            return .failure(
                Self.limitExceeded(
                    "Selections nest more than \(limits.maxNesting) levels deep (counting fragments).",
                    at: lines.location(error.offset)))
        }

        // GraphQLSwift locates each error it reports by running a regular expression over the
        // whole text (`getLocation`), so errors cost time in proportion to their number times the
        // document's length: 7,500 wrong literals on as many lines took 81 s. The rules run on
        // a copy parsed without locations, and again on the located one only when they have
        // found few errors, to locate those.
        guard let unlocated = try? parse(source: source, noLocation: true) else {
            return .failure(.request(message: "Syntax Error", code: .graphQLParseFailed))
        }
        for rules in [[CompositeLiteralRule.rule, UnknownNamesRule.rule], specifiedRules] {
            let errors = validate(schema: schema, ast: unlocated, rules: rules)
            guard errors.isEmpty else {
                let reported = errors.count <= Self.maxReportedErrors ? validate(schema: schema, ast: document, rules: rules) : errors
                return .failure(.validation(Self.capped(reported.map { GraphQLErrorBody($0, code: .graphQLValidationFailed) })))
            }
        }

        var fragments: [String: FragmentDefinition] = [:]
        for case let fragment as FragmentDefinition in document.definitions {
            fragments[fragment.name.value] = fragment
        }
        var operations: [CompiledOperation] = []
        for case let definition as OperationDefinition in document.definitions {
            var budget = SelectionBudget(selections: limits.maxSelections)
            let kind = OperationKind(rawValue: definition.operation.rawValue) ?? .query
            let position = lines.location(definition.loc?.start ?? 0)
            let selections: [FieldSelection]
            do {
                selections = try inline(
                    definition.selectionSet, of: kind.rootType, fragments: fragments, conditions: [], lines: lines, budget: &budget)
            } catch {
                return .failure(
                    Self.limitExceeded(
                        "The operation selects more than \(limits.maxSelections) fields once its fragments are expanded.",
                        at: position))
            }
            if budget.aliases > limits.maxAliases {
                return .failure(
                    Self.limitExceeded(
                        "The operation uses \(budget.aliases) aliases; at most \(limits.maxAliases) are allowed.", at: position))
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
                    depth: depths[ObjectIdentifier(definition)] ?? 0,
                    aliasCount: budget.aliases
                ))
        }
        return .success(CompiledDocument(operations: operations))
    }

    /// At most ``maxReportedErrors`` errors, then graphql-js's message for validation it stopped.
    private static func capped(_ errors: [GraphQLErrorBody]) -> [GraphQLErrorBody] {
        guard errors.count > maxReportedErrors else { return errors }
        return errors.prefix(maxReportedErrors)
            + [
                GraphQLErrorBody(
                    message: "Too many validation errors, error limit reached. Validation aborted.", code: .graphQLValidationFailed)
            ]
    }

    /// The spec's `LoneAnonymousOperation` and `UniqueOperationNames`, checked before
    /// GraphQLSwift validates: its `OperationDefinition` hashes by identity but compares by
    /// structure, so two identical operations are equal keys with different hashes in the
    /// dictionaries its validation context caches per operation, and Swift stops the process
    /// ("Duplicate keys of type 'HasSelectionSet' were found in a Dictionary") when it notices:
    /// `{ a: __typename } { a: __typename } { a: __typename }` did. Operations with distinct
    /// names, or a lone anonymous one, are never equal.
    private static func operationNameErrors(_ document: Document, lines: LineTable) -> [GraphQLErrorBody] {
        let operations = document.definitions.compactMap { $0 as? OperationDefinition }
        var errors: [GraphQLErrorBody] = []
        var first: [String: OperationDefinition] = [:]
        for operation in operations {
            guard let name = operation.name else {
                if operations.count > 1 {
                    errors.append(
                        GraphQLErrorBody(
                            message: "This anonymous operation must be the only defined operation.",
                            locations: [lines.location(operation.loc?.start ?? 0)], code: .graphQLValidationFailed))
                }
                continue
            }
            if let known = first[name.value] {
                errors.append(
                    GraphQLErrorBody(
                        message: "There can be only one operation named \"\(name.value)\".",
                        locations: [known.name?.loc?.start ?? 0, name.loc?.start ?? 0].map(lines.location),
                        code: .graphQLValidationFailed))
            } else {
                first[name.value] = operation
            }
        }
        return errors
    }

    /// What inlining an operation may still produce: fragments spread several times over are
    /// copied at each spread, so a short document can expand without end.
    private struct SelectionBudget {
        struct Exhausted: Error {}

        var selections: Int
        var aliases = 0
    }

    /// The fields of `set`, a selection on an object of type `parentType`. All our output types
    /// are object types, so a fragment's selections are on the same type as the set it sits in.
    /// Recursion is bounded by ``SelectionDepth``, which has measured the document.
    private func inline(
        _ set: SelectionSet, of parentType: String, fragments: [String: FragmentDefinition], conditions: [SelectionCondition],
        lines: LineTable, budget: inout SelectionBudget
    ) throws(SelectionBudget.Exhausted) -> [FieldSelection] {
        var out: [FieldSelection] = []
        for selection in set.selections {
            switch selection {
            case let field as GraphQL.Field:
                budget.selections -= 1
                guard budget.selections >= 0 else { throw SelectionBudget.Exhausted() }
                if field.alias != nil { budget.aliases += 1 }
                let name = field.name.value
                let type = name == "__typename" ? nil : types.outputField(parentType, name)?.type
                let children =
                    try field.selectionSet.map { set throws(SelectionBudget.Exhausted) in
                        try inline(set, of: type?.namedType ?? "", fragments: fragments, conditions: [], lines: lines, budget: &budget)
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
                out += try inline(
                    fragment.selectionSet, of: type, fragments: fragments,
                    conditions: conditions + Self.conditions(spread.directives) + member, lines: lines, budget: &budget)
            case let inlineFragment as InlineFragment:
                let (type, member) = memberType(inlineFragment.typeCondition?.name.value ?? parentType, parentType)
                out += try inline(
                    inlineFragment.selectionSet, of: type, fragments: fragments,
                    conditions: conditions + Self.conditions(inlineFragment.directives) + member, lines: lines,
                    budget: &budget)
            default:
                continue
            }
        }
        return out
    }

    private static func limitExceeded(
        _ message: String, at position: Position, code: ErrorCode = .graphQLValidationFailed
    ) -> GraphQLFailure {
        .validation([GraphQLErrorBody(message: message, locations: [position], code: code)])
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
