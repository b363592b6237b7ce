import GraphQL
import TideModel

extension SchemaBuilder {
    /// `@model` settings: which operations exist, their names, the timestamp fields.
    struct ModelConfig {
        var operations = ModelOperations.all
        var customNames: [String: String] = [:]
        var createdAt: String? = "createdAt"
        var updatedAt: String? = "updatedAt"
    }

    /// An `@auth` rule with the positions needed to report problems with the fields it names.
    struct AuthRuleDraft {
        var rule: AuthRule
        var location: TideModel.SourceLocation
        var ownerFieldLocation: TideModel.SourceLocation?
        var groupsFieldLocation: TideModel.SourceLocation?
    }

    struct IndexDraft {
        var field: String
        var location: TideModel.SourceLocation
        var name: String?
        var nameLocation: TideModel.SourceLocation?
        var sortKeyFields: [(String, TideModel.SourceLocation)] = []
        var queryField: String?
    }

    struct SearchableDraft {
        var fields: [(String, TideModel.SourceLocation)]?
        var location: TideModel.SourceLocation
    }

    /// A model while it is being read: its fields so far and what its directives asked for.
    struct ModelDraft {
        var name: String
        var config = ModelConfig()
        var fields: [TideModel.Field] = []
        var modelRules: [AuthRuleDraft]?
        var fieldRules: [(field: String, rules: [AuthRuleDraft])] = []
        var indexDrafts: [IndexDraft] = []
        var ttl: (String, TideModel.SourceLocation)?
        var searchable: SearchableDraft?
        var conflictStrategy = ConflictStrategy.automerge
        /// The position of each field's `@encrypted`.
        var encryptedAt: [String: TideModel.SourceLocation] = [:]
        /// Fields the server must read in clear text, and why (checked against `@encrypted`).
        var serverReadFields: [(field: String, reason: String)] = []

        var timestampFields: Set<String> { Set([config.createdAt, config.updatedAt].compactMap { $0 }) }

        /// The type of a field by name, including the managed timestamps.
        func lookup(_ fieldName: String) -> FieldType? {
            if let field = fields.first(where: { $0.name == fieldName }) { return field.type }
            if timestampFields.contains(fieldName) { return FieldType(base: .scalar(.awsDateTime), isRequired: true) }
            return nil
        }
    }

    mutating func buildModel(_ definition: ObjectTypeDefinition) -> ModelType {
        var model = ModelDraft(name: definition.name.value)
        readModelDirectives(definition, into: &model)
        readModelFields(definition, into: &model)
        addBlindIndexFields(&model)
        if !model.fields.contains(where: { $0.name == "id" }) {
            // Amplify adds `id: ID!` to a model that declares none.
            model.fields.insert(TideModel.Field(name: "id", type: FieldType(base: .scalar(.id), isRequired: true)), at: 0)
        }
        resolveAuthFields(&model)
        let indexes = resolveIndexes(&model)
        let ttlField = resolveTTL(&model)
        let searchableFields = resolveSearchable(&model)
        checkEncryptedFields(model)

        return ModelType(
            name: model.name, pluralName: Pluralization.plural(model.name), fields: model.fields,
            authRules: model.modelRules?.map(\.rule) ?? [], indexes: indexes, ttlField: ttlField,
            searchableFields: searchableFields, conflictStrategy: model.conflictStrategy,
            operations: model.config.operations, createdAtField: model.config.createdAt,
            updatedAtField: model.config.updatedAt, customOperationNames: model.config.customNames,
            location: TideModel.SourceLocation(definition.name.loc))
    }

    // MARK: - Reading

    private mutating func readModelDirectives(_ definition: ObjectTypeDefinition, into model: inout ModelDraft) {
        var used: Set<String> = []
        for directive in definition.directives.map(DirectiveUse.init) {
            guard checkRepeated(directive, used: &used, on: model.name) else { continue }
            switch directive.name {
            case "model":
                model.config = parseModelDirective(directive, model: model.name, plural: Pluralization.plural(model.name))
            case "auth": model.modelRules = parseAuthDirective(directive)
            case "ttl": model.ttl = parseTTL(directive)
            case "searchable": model.searchable = parseSearchable(directive)
            case "conflict": model.conflictStrategy = parseConflict(directive) ?? .automerge
            default: misplaced(directive, on: "a type")
            }
        }
    }

    private mutating func readModelFields(_ definition: ObjectTypeDefinition, into model: inout ModelDraft) {
        let name = model.name
        let timestampFields = model.timestampFields
        var seen: [String: TideModel.SourceLocation] = [:]
        for fieldDefinition in definition.fields {
            let fieldName = fieldDefinition.name.value
            guard let (fieldLocation, type) = startField(fieldDefinition, owner: name, seen: &seen) else { continue }
            if Self.reservedFieldNames.contains(fieldName) {
                error(
                    "\(name).\(fieldName) uses a reserved name: the server adds _version, _deleted and _lastChangedAt to every model",
                    at: fieldLocation)
                continue
            }
            if Self.filterCombinators.contains(fieldName) {
                error(
                    "\(name).\(fieldName) uses a reserved name: the generated filter inputs use and, or and not",
                    at: fieldLocation)
                continue
            }
            var valid = type != nil
            if fieldName == "id", let type, type != FieldType(base: .scalar(.id), isRequired: true) {
                error("\(name).id must be ID!, not \(type)", at: fieldLocation)
                valid = false
            }
            // A declared createdAt/updatedAt stays server-managed: it is checked, then left out of
            // `fields` (ModelType.createdAtField/updatedAtField describe it).
            let isTimestamp = timestampFields.contains(fieldName)
            if isTimestamp, let type, type.base != .scalar(.awsDateTime) || type.isList {
                error("\(name).\(fieldName) is managed by the server and must be AWSDateTime, not \(type)", at: fieldLocation)
            }

            var field = TideModel.Field(name: fieldName, type: type ?? Self.placeholderType, location: fieldLocation)
            var used: Set<String> = []
            for directive in fieldDefinition.directives.map(DirectiveUse.init) {
                guard checkRepeated(directive, used: &used, on: "\(name).\(fieldName)") else { continue }
                if isTimestamp, directive.name != "index", Self.knownDirectives.contains(directive.name) {
                    error(
                        "@\(directive.name) is not allowed on \(name).\(fieldName): the server manages this timestamp",
                        at: directive.location)
                    continue
                }
                switch directive.name {
                case "auth":
                    if fieldName == "id" {
                        error("\(name).id cannot have field-level @auth", at: directive.location)
                    } else if let rules = parseAuthDirective(directive) {
                        model.fieldRules.append((fieldName, rules))
                        if type?.isRequired == true {
                            error(
                                "field \(name).\(fieldName) has field-level @auth and must be nullable, because a caller who may not read it receives null",
                                at: fieldLocation)
                        }
                    }
                case "index":
                    if let draft = parseIndex(directive, field: fieldName) { model.indexDrafts.append(draft) }
                case "encrypted":
                    applyEncrypted(directive, to: &field, type: type, owner: name)
                    if field.isEncrypted { model.encryptedAt[fieldName] = directive.location }
                case "set":
                    applySet(directive, to: &field, type: type, owner: name)
                default:
                    misplaced(directive, on: "a field")
                }
            }
            if valid, !isTimestamp { model.fields.append(field) }
        }
    }

    // MARK: - Cross-field checks

    /// The owner and groups fields the `@auth` rules name; adds Amplify's implicit `owner: String`.
    private mutating func resolveAuthFields(_ model: inout ModelDraft) {
        var needsOwnerField = false
        for draft in (model.modelRules ?? []) + model.fieldRules.flatMap(\.rules) {
            if let ownerField = draft.rule.ownerField {
                let at = draft.ownerFieldLocation ?? draft.location
                if let type = model.lookup(ownerField) {
                    if type.base != .scalar(.string), type.base != .scalar(.id) {
                        error(
                            "ownerField '\(ownerField)' of \(model.name) must be a String, ID, [String] or [ID] field, not \(type)",
                            at: at)
                    }
                } else if ownerField == "owner" {
                    needsOwnerField = true
                } else {
                    error("ownerField '\(ownerField)' does not name a field of \(model.name)", at: at)
                }
                model.serverReadFields.append((ownerField, "an @auth owner field"))
            }
            if let groupsField = draft.rule.groupsField {
                let at = draft.groupsFieldLocation ?? draft.location
                if let type = model.lookup(groupsField) {
                    if type.base != .scalar(.string) {
                        error(
                            "groupsField '\(groupsField)' of \(model.name) must be a String or [String] field, not \(type)",
                            at: at)
                    }
                } else {
                    error("groupsField '\(groupsField)' does not name a field of \(model.name)", at: at)
                }
                model.serverReadFields.append((groupsField, "an @auth groupsField"))
            }
        }
        if needsOwnerField {
            // Amplify adds `owner: String` to a model with an owner rule and no owner field.
            model.fields.append(TideModel.Field(name: "owner", type: FieldType(base: .scalar(.string))))
        }
        for (fieldName, rules) in model.fieldRules {
            if let position = model.fields.firstIndex(where: { $0.name == fieldName }) {
                model.fields[position].authRules = rules.map(\.rule)
            }
        }
    }

    /// Key fields exist and are keys; names are unique; default names as Amplify makes them.
    private mutating func resolveIndexes(_ model: inout ModelDraft) -> [Index] {
        var indexes: [Index] = []
        var names: [String: TideModel.SourceLocation] = [:]
        for draft in model.indexDrafts {
            guard let hashType = model.lookup(draft.field) else { continue }
            var valid = true
            if !Self.isKeyType(hashType) {
                error(
                    "@index field \(model.name).\(draft.field) must be a non-list scalar or enum field (not AWSJSON), not \(hashType)",
                    at: draft.location)
                valid = false
            }
            for (sortField, sortLocation) in draft.sortKeyFields {
                if sortField == draft.field {
                    error("@index sort key field '\(sortField)' cannot be the indexed field itself", at: sortLocation)
                    valid = false
                } else if let sortType = model.lookup(sortField) {
                    if !Self.isKeyType(sortType) || sortType.base == .scalar(.boolean) {
                        error(
                            "@index sort key field '\(sortField)' must be a non-list scalar or enum field other than Boolean and AWSJSON, not \(sortType)",
                            at: sortLocation)
                        valid = false
                    }
                } else {
                    error("@index sort key field '\(sortField)' does not exist in \(model.name)", at: sortLocation)
                    valid = false
                }
                model.serverReadFields.append((sortField, "an @index sort key field"))
            }
            model.serverReadFields.append((draft.field, "an @index key field"))
            let sortKeyFields = draft.sortKeyFields.map(\.0)
            let name = draft.name
                ?? ModelNames.defaultIndexName(model: model.name, field: draft.field, sortKeyFields: sortKeyFields)
            if let previous = names[name] {
                error(
                    "index name '\(name)' is already used by another @index on \(model.name) at \(previous)",
                    at: draft.nameLocation ?? draft.location)
                continue
            }
            names[name] = draft.location
            if valid {
                indexes.append(
                    Index(
                        name: name, field: draft.field, sortKeyFields: sortKeyFields, queryField: draft.queryField,
                        location: draft.location))
            }
        }
        return indexes
    }

    private mutating func resolveTTL(_ model: inout ModelDraft) -> String? {
        guard let (fieldName, at) = model.ttl else { return nil }
        model.serverReadFields.append((fieldName, "the @ttl field"))
        guard let type = model.lookup(fieldName) else {
            error("@ttl field '\(fieldName)' does not exist in \(model.name)", at: at)
            return nil
        }
        if type.isList || (type.base != .scalar(.int) && type.base != .scalar(.awsTimestamp)) {
            error("@ttl field '\(fieldName)' must be an Int or AWSTimestamp epoch-seconds field", at: at)
            return nil
        }
        return fieldName
    }

    /// The named fields, or by default every unencrypted `String`/`[String]` field (blind indexes
    /// are hashes: nothing to search).
    private mutating func resolveSearchable(_ model: inout ModelDraft) -> [String]? {
        guard let searchable = model.searchable else { return nil }
        guard let given = searchable.fields else {
            let strings = model.fields.filter {
                $0.type.base == .scalar(.string) && !$0.isEncrypted && $0.blindIndexOf == nil
            }.map(\.name)
            if strings.isEmpty {
                error(
                    "@searchable has no fields to index: \(model.name) has no unencrypted String fields; name them with fields:",
                    at: searchable.location)
            }
            return strings
        }
        var names: [String] = []
        for (fieldName, at) in given {
            guard let field = model.fields.first(where: { $0.name == fieldName }) else {
                error("@searchable field '\(fieldName)' does not exist in \(model.name)", at: at)
                continue
            }
            model.serverReadFields.append((fieldName, "a @searchable field"))
            var searchableType = true
            if case .embedded = field.type.base { searchableType = false }
            if field.type.base == .scalar(.awsJSON) { searchableType = false }
            if !searchableType {
                error("@searchable field '\(fieldName)' must be a scalar or enum field, not \(field.type)", at: at)
            } else if !names.contains(fieldName) {
                names.append(fieldName)
            }
        }
        return names
    }

    /// The `<field>BlindIndex: String` companion of each `@encrypted(blindIndex: true)` field, right
    /// after it, with the field's own `@auth` rules (it says as much about the value as the value's
    /// equality does). A stored, filterable String like any other; the client computes it.
    private mutating func addBlindIndexFields(_ model: inout ModelDraft) {
        for field in model.fields where field.isEncrypted && field.hasBlindIndex {
            guard let at = model.encryptedAt[field.name] else { continue }
            let name = TideModel.Field.blindIndexFieldName(for: field.name)
            guard model.lookup(name) == nil else {
                error("\(model.name).\(name) is the blind index of \(model.name).\(field.name): rename the field that has this name",
                      at: at)
                continue
            }
            let position = model.fields.firstIndex { $0.name == field.name }! + 1
            model.fields.insert(
                TideModel.Field(name: name, type: FieldType(base: .scalar(.string)), blindIndexOf: field.name, location: at),
                at: position)
            for (fieldName, rules) in model.fieldRules where fieldName == field.name {
                model.fieldRules.append((name, rules))
            }
        }
    }

    /// `@encrypted` fields the server must read in clear text (keys, TTL, owners, search).
    private mutating func checkEncryptedFields(_ model: ModelDraft) {
        var reported: Set<String> = []
        for (fieldName, reason) in model.serverReadFields {
            guard let at = model.encryptedAt[fieldName], reported.insert(fieldName).inserted else { continue }
            error(
                "@encrypted cannot be used on \(model.name).\(fieldName), which is \(reason): the server must read its value",
                at: at)
        }
    }

    /// Index keys: a non-list scalar (not AWSJSON) or enum.
    static func isKeyType(_ type: FieldType) -> Bool {
        guard !type.isList else { return false }
        switch type.base {
        case .scalar(let scalar): return scalar != .awsJSON
        case .enumeration: return true
        case .embedded: return false
        }
    }
}
