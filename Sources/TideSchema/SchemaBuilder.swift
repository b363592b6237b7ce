import GraphQL
import TideModel

/// Walks a parsed document and builds the `AppSchema`, collecting every problem on the way.
///
/// Invalid parts are dropped from the schema it builds (a field of an unknown type, an index on a
/// missing field), so later checks still run on a consistent, partial schema and report their
/// own problems instead of stopping at the first one.
struct SchemaBuilder {
    let file: String
    private(set) var diagnostics: [SchemaDiagnostic] = []

    enum DeclaredKind { case model, embedded, enumeration }
    struct Declaration {
        var kind: DeclaredKind
        var location: TideModel.SourceLocation
    }
    /// Every declared type name (models, embedded types, enums).
    var declarations: [String: Declaration] = [:]

    /// The directives Tidewater understands.
    static let knownDirectives: Set<String> = [
        "model", "auth", "index", "ttl", "searchable", "encrypted", "conflict", "set",
    ]
    /// Names the server adds to every model.
    static let reservedFieldNames: Set<String> = ["_version", "_deleted", "_lastChangedAt"]
    /// Names the generated filter inputs use for their combinators.
    static let filterCombinators: Set<String> = ["and", "or", "not"]
    static let operationTypeNames: Set<String> = ["Query", "Mutation", "Subscription"]

    init(file: String) {
        self.file = file
    }

    mutating func error(_ message: String, at location: TideModel.SourceLocation) {
        let diagnostic = SchemaDiagnostic(file: file, location: location, message: message)
        if !diagnostics.contains(diagnostic) { diagnostics.append(diagnostic) }
    }

    /// Diagnostics in source order (stable for one position).
    var sortedDiagnostics: [SchemaDiagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let l = a.element.location, r = b.element.location
            return (l.line, l.column, a.offset) < (r.line, r.column, b.offset)
        }.map(\.element)
    }

    mutating func build(_ document: Document) -> AppSchema {
        var modelDefinitions: [ObjectTypeDefinition] = []
        var embeddedDefinitions: [ObjectTypeDefinition] = []
        var enumDefinitions: [EnumTypeDefinition] = []

        for definition in document.definitions {
            switch definition {
            case let type as ObjectTypeDefinition:
                let name = type.name.value
                let location = TideModel.SourceLocation(type.name.loc)
                if Self.operationTypeNames.contains(name) {
                    error(
                        "type \(name) is not supported in a Tidewater schema; queries, mutations and subscriptions are generated from the @model types",
                        at: location)
                    continue
                }
                if let interface = type.interfaces.first {
                    error(
                        "interfaces are not supported in a Tidewater schema (\(name) implements \(interface.name.value))",
                        at: TideModel.SourceLocation(interface.loc))
                }
                let isModel = type.directives.contains { $0.name.value == "model" }
                guard declare(name, isModel ? .model : .embedded, at: location) else { continue }
                if isModel { modelDefinitions.append(type) } else { embeddedDefinitions.append(type) }
            case let type as EnumTypeDefinition:
                guard declare(type.name.value, .enumeration, at: TideModel.SourceLocation(type.name.loc)) else { continue }
                enumDefinitions.append(type)
            case let scalar as ScalarTypeDefinition:
                let name = scalar.name.value
                let location = TideModel.SourceLocation(scalar.name.loc)
                if let known = Scalar(rawValue: name), known.isCustom {
                    rejectDirectives(scalar.directives, on: "a scalar")
                } else if Scalar(rawValue: name) != nil {
                    error("scalar \(name) is built into GraphQL and must not be declared", at: location)
                } else {
                    error(
                        "custom scalar \(name) is not supported in a Tidewater schema; use one of \(Self.list(Scalar.allCases.map(\.rawValue)))",
                        at: location)
                }
            case let type as InterfaceTypeDefinition:
                error("interface \(type.name.value) is not supported in a Tidewater schema", at: TideModel.SourceLocation(type.name.loc))
            case let type as UnionTypeDefinition:
                error("union \(type.name.value) is not supported in a Tidewater schema", at: TideModel.SourceLocation(type.name.loc))
            case let type as InputObjectTypeDefinition:
                error(
                    "input type \(type.name.value) is not supported in a Tidewater schema; input types are generated",
                    at: TideModel.SourceLocation(type.name.loc))
            case let schema as SchemaDefinition:
                error("a schema definition is not supported in a Tidewater schema", at: TideModel.SourceLocation(schema.loc))
            case let directive as DirectiveDefinition:
                error(
                    "directive definition @\(directive.name.value) is not supported in a Tidewater schema; the known directives are built in",
                    at: TideModel.SourceLocation(directive.loc))
            case is OperationDefinition, is FragmentDefinition:
                error("operations and fragments are not supported in a Tidewater schema", at: TideModel.SourceLocation(definition.loc))
            default:
                // extend type / enum / scalar / interface / union / input / schema
                error("extend is not supported in a Tidewater schema; declare each type once", at: TideModel.SourceLocation(definition.loc))
            }
        }

        let enums = enumDefinitions.map { buildEnum($0) }
        let embeddedTypes = embeddedDefinitions.map { buildEmbeddedType($0) }
        let models = modelDefinitions.map { buildModel($0) }
        let schema = AppSchema(models: models, enums: enums, embeddedTypes: embeddedTypes)

        if models.isEmpty, !modelDefinitionsWereRejected(document) {
            error("a Tidewater schema needs at least one @model type", at: TideModel.SourceLocation(line: 1, column: 1))
        }
        checkEmbeddedCycles(schema)
        checkGeneratedRootFields(schema)
        checkGeneratedTypeNames(schema)
        return schema
    }

    /// True when the document declares `@model` types that were all rejected already (duplicate
    /// names, `type Query @model`), so "needs at least one @model type" would only repeat that.
    private func modelDefinitionsWereRejected(_ document: Document) -> Bool {
        document.definitions.contains { definition in
            guard let type = definition as? ObjectTypeDefinition else { return false }
            return type.directives.contains { $0.name.value == "model" }
        }
    }

    /// Records a type name; false (with a diagnostic) when it is taken or reserved.
    private mutating func declare(_ name: String, _ kind: DeclaredKind, at location: TideModel.SourceLocation) -> Bool {
        if name.hasPrefix("__") {
            error("the name \(name) is reserved: names starting with __ belong to GraphQL introspection", at: location)
            return false
        }
        if Scalar(rawValue: name) != nil {
            error("the name \(name) is taken by a built-in scalar", at: location)
            return false
        }
        if let previous = declarations[name] {
            error("type \(name) is already declared at \(previous.location)", at: location)
            return false
        }
        declarations[name] = Declaration(kind: kind, location: location)
        return true
    }

    // MARK: - Enums

    private mutating func buildEnum(_ definition: EnumTypeDefinition) -> EnumType {
        let name = definition.name.value
        rejectDirectives(definition.directives, on: "an enum")
        var values: [String] = []
        var seen: [String: TideModel.SourceLocation] = [:]
        for value in definition.values {
            let location = TideModel.SourceLocation(value.name.loc)
            rejectDirectives(value.directives, on: "an enum value")
            if value.name.value.hasPrefix("__") {
                error("the name \(value.name.value) is reserved: names starting with __ belong to GraphQL introspection", at: location)
                continue
            }
            if let previous = seen[value.name.value] {
                error("enum value \(value.name.value) is already declared in \(name) at \(previous)", at: location)
                continue
            }
            seen[value.name.value] = location
            values.append(value.name.value)
        }
        if definition.values.isEmpty {
            error("enum \(name) must declare at least one value", at: TideModel.SourceLocation(definition.name.loc))
        }
        return EnumType(name: name, values: values, location: TideModel.SourceLocation(definition.name.loc))
    }

    // MARK: - Embedded (non-model) types

    private mutating func buildEmbeddedType(_ definition: ObjectTypeDefinition) -> EmbeddedType {
        let name = definition.name.value
        rejectDirectives(definition.directives, on: "a non-model type")
        var fields: [TideModel.Field] = []
        var seen: [String: TideModel.SourceLocation] = [:]
        for fieldDefinition in definition.fields {
            guard let (location, type) = startField(fieldDefinition, owner: name, seen: &seen) else { continue }
            var field = TideModel.Field(name: fieldDefinition.name.value, type: type ?? Self.placeholderType, location: location)
            var used: Set<String> = []
            for directive in fieldDefinition.directives.map(DirectiveUse.init) {
                guard checkRepeated(directive, used: &used, on: "\(name).\(field.name)") else { continue }
                switch directive.name {
                case "encrypted":
                    applyEncrypted(directive, to: &field, type: type, owner: name)
                    if field.hasBlindIndex {
                        // Filters do not reach into embedded objects, so an index there could never be used.
                        error("@encrypted(blindIndex: true) is allowed only on fields of @model types; \(name).\(field.name) is in a non-model type",
                              at: directive.location)
                        field.hasBlindIndex = false
                    }
                case "set": applySet(directive, to: &field, type: type, owner: name)
                default: misplaced(directive, on: "a field of the non-model type \(name)")
                }
            }
            if type != nil { fields.append(field) }
        }
        if definition.fields.isEmpty {
            error("the non-model type \(name) must declare at least one field", at: TideModel.SourceLocation(definition.name.loc))
        }
        return EmbeddedType(name: name, fields: fields, location: TideModel.SourceLocation(definition.name.loc))
    }

    // MARK: - Shared field handling

    static let placeholderType = FieldType(base: .scalar(.string))

    /// Common checks of a field definition: repeated names, arguments, its type. Nil when the
    /// field must be skipped entirely (a repeated name); otherwise its position and resolved type
    /// (nil when the type is invalid, already reported).
    mutating func startField(
        _ definition: FieldDefinition, owner: String, seen: inout [String: TideModel.SourceLocation]
    ) -> (TideModel.SourceLocation, FieldType?)? {
        let name = definition.name.value
        let location = TideModel.SourceLocation(definition.name.loc)
        if let previous = seen[name] {
            error("field \(name) is already declared in \(owner) at \(previous)", at: location)
            return nil
        }
        seen[name] = location
        if name.hasPrefix("__") {
            error("the name \(owner).\(name) is reserved: names starting with __ belong to GraphQL introspection", at: location)
            return nil
        }
        if let argument = definition.arguments.first {
            error("field arguments are not supported in a Tidewater schema (\(owner).\(name))", at: TideModel.SourceLocation(argument.loc))
        }
        return (location, resolveType(definition.type, field: "\(owner).\(name)"))
    }

    /// `T`, `T!`, `[T]`, `[T!]`, `[T]!`, `[T!]!` over a scalar, enum or embedded type.
    mutating func resolveType(_ type: any GraphQL.`Type`, field: String) -> FieldType? {
        var node = type
        var result = FieldType(base: .scalar(.string))
        if let nonNull = node as? NonNullType {
            result.isRequired = true
            node = nonNull.type
        }
        if let list = node as? ListType {
            result.isList = true
            node = list.type
            if let nonNull = node as? NonNullType {
                result.isItemRequired = true
                node = nonNull.type
            }
            if node is ListType {
                error("nested lists are not supported (\(field))", at: TideModel.SourceLocation(node.loc))
                return nil
            }
        }
        guard let named = node as? NamedType else { return nil }
        let name = named.name.value
        let location = TideModel.SourceLocation(named.loc)
        if let scalar = Scalar(rawValue: name) {
            result.base = .scalar(scalar)
        } else if let declaration = declarations[name] {
            switch declaration.kind {
            case .enumeration: result.base = .enumeration(name)
            case .embedded: result.base = .embedded(name)
            case .model:
                error(
                    "\(field) has the @model type \(name): relations are not supported; store the id in an ID field",
                    at: location)
                return nil
            }
        } else {
            error("unknown type \(name) (\(field))", at: location)
            return nil
        }
        return result
    }

    mutating func applyEncrypted(_ directive: DirectiveUse, to field: inout TideModel.Field, type: FieldType?, owner: String) {
        checkArguments(directive, allowed: ["blindIndex"])
        if let argument = directive.argument("blindIndex"), let blindIndex = readBool(argument.value, "@encrypted(blindIndex:)") {
            field.hasBlindIndex = blindIndex
        }
        if let type, type.base != .scalar(.string) {
            error("@encrypted is allowed only on String or [String] fields; \(owner).\(field.name) is \(type)", at: directive.location)
            return
        }
        if field.hasBlindIndex, let type, type.isList {
            // The companion holds one hash; a list would need one per element and a membership filter.
            error("@encrypted(blindIndex: true) is allowed only on String fields; \(owner).\(field.name) is \(type)",
                  at: directive.location)
            field.hasBlindIndex = false
        }
        field.isEncrypted = true
    }

    mutating func applySet(_ directive: DirectiveUse, to field: inout TideModel.Field, type: FieldType?, owner: String) {
        checkArguments(directive, allowed: [])
        if let type, !type.isList {
            error("@set is allowed only on list fields; \(owner).\(field.name) is \(type)", at: directive.location)
            return
        }
        field.isSet = true
    }

    // MARK: - Directive placement

    /// False (with a diagnostic) when a non-repeatable directive appears a second time.
    mutating func checkRepeated(_ directive: DirectiveUse, used: inout Set<String>, on place: String) -> Bool {
        guard Self.knownDirectives.contains(directive.name), directive.name != "index" else { return true }
        if !used.insert(directive.name).inserted {
            error("@\(directive.name) may appear only once on \(place)", at: directive.location)
            return false
        }
        return true
    }

    mutating func rejectDirectives(_ directives: [Directive], on place: String) {
        for directive in directives { misplaced(DirectiveUse(directive), on: place) }
    }

    /// A directive that is unknown, or known but not allowed on `place`.
    mutating func misplaced(_ directive: DirectiveUse, on place: String) {
        let allowedOn: String
        switch directive.name {
        case "model": allowedOn = "an object type"
        case "auth": allowedOn = "a @model type or a field of one"
        case "index": allowedOn = "a field of a @model type"
        case "ttl", "searchable", "conflict": allowedOn = "a @model type"
        case "encrypted": allowedOn = "a String or [String] field"
        case "set": allowedOn = "a list field"
        default:
            error("unknown directive @\(directive.name)\(Self.hint(forUnknown: directive.name))", at: directive.location)
            return
        }
        error("@\(directive.name) is allowed only on \(allowedOn), not on \(place)", at: directive.location)
    }

    private static func hint(forUnknown name: String) -> String {
        switch name {
        case "hasMany", "hasOne", "belongsTo", "manyToMany", "connection":
            "; relations are not supported: store the id in an ID field"
        case "primaryKey", "key":
            "; every model is keyed by id: ID! (use @index for other access patterns)"
        default:
            ""
        }
    }
}
