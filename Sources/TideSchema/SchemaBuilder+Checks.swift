import TideModel

extension SchemaBuilder {
    /// An embedded type may not contain itself through non-null, non-list fields: no finite value
    /// (and no generated input) could satisfy it.
    mutating func checkEmbeddedCycles(_ schema: AppSchema) {
        var reported: Set<String> = []
        for start in schema.embeddedTypes where !reported.contains(start.name) {
            // Depth-first search along required embedded fields, remembering the path.
            var stack: [(type: String, path: [String])] = [(start.name, [])]
            var visited: Set<String> = []
            while let (typeName, path) = stack.popLast() {
                guard let type = schema.embeddedType(named: typeName) else { continue }
                for field in type.fields where field.type.isRequired && !field.type.isList {
                    guard case .embedded(let next) = field.type.base else { continue }
                    let step = path + ["\(typeName).\(field.name)"]
                    if next == start.name {
                        let firstField = start.fields.first { "\(start.name).\($0.name)" == step[0] }
                        error(
                            "embedded type \(start.name) contains itself through non-null fields (\(step.joined(separator: " → "))); make one of them nullable",
                            at: firstField?.location ?? start.location ?? TideModel.SourceLocation(line: 1, column: 1))
                        for member in step { reported.insert(String(member.prefix { $0 != "." })) }
                        stack.removeAll()
                        break
                    }
                    if visited.insert(next).inserted { stack.append((next, step)) }
                }
            }
        }
    }

    /// Generated root fields must be unique per root type, and each index query's arguments unique.
    mutating func checkGeneratedRootFields(_ schema: AppSchema) {
        var seen: [String: GeneratedOperation] = [:]
        for operation in schema.generatedOperations {
            let key = "\(operation.rootType).\(operation.fieldName)"
            guard let previous = seen[key] else {
                seen[key] = operation
                continue
            }
            error(
                "the generated field \(key) for \(Self.describe(operation)) collides with the one for \(Self.describe(previous)); rename one of them",
                at: location(of: operation, in: schema))
        }
        if !schema.models.contains(where: { model in
            schema.generatedOperations.contains { $0.rootType == "Query" && $0.model == model.name }
        }), let first = schema.models.first {
            error(
                "the schema generates no queries: every model disables its queries; keep at least one (GraphQL needs a Query type)",
                at: first.location ?? TideModel.SourceLocation(line: 1, column: 1))
        }
        for model in schema.models {
            for index in model.indexes where index.queryField != nil {
                var names: [String] = [index.field]
                if let sortArgument = ModelNames.sortKeyArgument(index) { names.append(sortArgument) }
                names += ["sortDirection", "filter", "limit", "nextToken"]
                if let duplicate = names.enumerated().first(where: { names[..<$0.offset].contains($0.element) }) {
                    error(
                        "the index query \(index.queryField!) would have two arguments named '\(duplicate.element)'; rename the key field",
                        at: index.location ?? model.location ?? TideModel.SourceLocation(line: 1, column: 1))
                }
            }
        }
    }

    /// Generated type names must not collide with declared ones or with each other
    /// (e.g. an enum named `ModelSortDirection`, or a type `CreateNoteInput`).
    mutating func checkGeneratedTypeNames(_ schema: AppSchema) {
        var seen: [String: SDLDeclaration] = [:]
        for declaration in SDLGenerator.declarations(for: schema) {
            guard let previous = seen[declaration.name] else {
                seen[declaration.name] = declaration
                continue
            }
            let fallback = TideModel.SourceLocation(line: 1, column: 1)
            if previous.isDeclared || declaration.isDeclared {
                // Blame the declared type.
                let declared = previous.isDeclared ? previous : declaration
                let generated = previous.isDeclared ? declaration : previous
                let source = generated.origin.map { "the type generated for \($0)" } ?? "a generated type"
                error(
                    "type name \(declaration.name) collides with \(source); rename it",
                    at: declared.origin.flatMap { declarations[$0]?.location } ?? fallback)
            } else {
                // Blame a type that has an origin (shared inputs have none).
                let blamed = declaration.origin != nil ? declaration : previous
                let other = declaration.origin != nil ? previous : declaration
                let origin = blamed.origin ?? "the schema"
                let otherOrigin = other.origin.map { "the one generated for \($0)" } ?? "a shared generated type"
                error(
                    "the type \(declaration.name) generated for \(origin) collides with \(otherOrigin); rename \(origin)",
                    at: blamed.origin.flatMap { declarations[$0]?.location } ?? fallback)
            }
        }
    }

    private static func describe(_ operation: GeneratedOperation) -> String {
        if case .indexQuery(let indexName) = operation.kind {
            return "the index \(indexName) of \(operation.model)"
        }
        return "model \(operation.model)"
    }

    private func location(of operation: GeneratedOperation, in schema: AppSchema) -> TideModel.SourceLocation {
        let model = schema.model(named: operation.model)
        if case .indexQuery(let indexName) = operation.kind,
            let location = model?.indexes.first(where: { $0.name == indexName })?.location
        {
            return location
        }
        return model?.location ?? TideModel.SourceLocation(line: 1, column: 1)
    }
}
