import TideModel

extension SchemaBuilder {
    // MARK: - @model

    /// `@model(queries:, mutations:, subscriptions:, timestamps:)` with Amplify's semantics:
    /// `queries: null` disables every query; in a map, `get: null` disables one and
    /// `get: "fetchNote"` renames it; `subscriptions: { level: off }` disables subscriptions;
    /// `timestamps: { createdAt: "createdOn", updatedAt: null }` renames or drops a timestamp.
    /// `true`/`false` are accepted in place of a name/`null`.
    mutating func parseModelDirective(_ directive: DirectiveUse, model: String, plural: String) -> ModelConfig {
        var config = ModelConfig()
        checkArguments(directive, allowed: ["queries", "mutations", "subscriptions", "timestamps"])
        if let argument = directive.argument("queries") {
            readOperationMap(
                argument.value, what: "@model(queries:)", kinds: [.get, .list, .sync],
                model: model, plural: plural, config: &config)
        }
        if let argument = directive.argument("mutations") {
            readOperationMap(
                argument.value, what: "@model(mutations:)", kinds: [.create, .update, .delete],
                model: model, plural: plural, config: &config)
        }
        if let argument = directive.argument("subscriptions") {
            readOperationMap(
                argument.value, what: "@model(subscriptions:)", kinds: [.onCreate, .onUpdate, .onDelete],
                model: model, plural: plural, config: &config)
        }
        if let argument = directive.argument("timestamps") {
            readTimestamps(argument.value, config: &config)
        }
        return config
    }

    private mutating func readOperationMap(
        _ value: LocatedValue, what: String, kinds: [GeneratedOperation.Kind], model: String, plural: String,
        config: inout ModelConfig
    ) {
        let isSubscription = kinds.contains(.onCreate)
        if value.isNull {
            for kind in kinds { Self.setOperation(kind, false, in: &config.operations) }
            return
        }
        guard let entries = readObject(value, "\(what)") else { return }
        let keys = kinds.compactMap(ModelNames.key)
        checkKeys(entries, allowed: keys + (isSubscription ? ["level"] : []), in: what)
        for entry in entries {
            guard let kind = kinds.first(where: { ModelNames.key($0) == entry.name }), let key = ModelNames.key(kind) else {
                continue
            }
            var given: (String, TideModel.SourceLocation)?
            switch entry.value.value {
            case .null:
                Self.setOperation(kind, false, in: &config.operations)
            case .bool(let enabled):
                Self.setOperation(kind, enabled, in: &config.operations)
            case .string(let name):
                given = (name, entry.value.location)
            case .list(let items) where isSubscription:
                if items.isEmpty {
                    Self.setOperation(kind, false, in: &config.operations)
                } else if items.count == 1, case .string(let name) = items[0].value {
                    given = (name, items[0].location)
                } else {
                    error(
                        "\(what) \(entry.name): Tidewater generates one subscription field per event; give a single name",
                        at: entry.value.location)
                }
            default:
                mismatch(
                    entry.value, expected: isSubscription ? "a field name, a list of one name, or null" : "a field name or null",
                    "\(what) \(entry.name)")
            }
            if let (name, at) = given {
                Self.setOperation(kind, true, in: &config.operations)
                if !Self.isValidName(name) {
                    error("\(what) \(entry.name): '\(name)' is not a valid GraphQL field name", at: at)
                } else if name != ModelNames.defaultFieldName(kind, name: model, plural: plural) {
                    config.customNames[key] = name
                }
            }
        }
        if isSubscription, let level = entries.first(where: { $0.name == "level" }),
            let setting = readEnum(level.value, "\(what) level", allowed: ["off", "public", "on"]), setting == "off"
        {
            for kind in kinds { Self.setOperation(kind, false, in: &config.operations) }
        }
    }

    private mutating func readTimestamps(_ value: LocatedValue, config: inout ModelConfig) {
        if value.isNull {
            config.createdAt = nil
            config.updatedAt = nil
            return
        }
        guard let entries = readObject(value, "@model(timestamps:)") else { return }
        checkKeys(entries, allowed: ["createdAt", "updatedAt"], in: "@model(timestamps:)")
        for entry in entries where entry.name == "createdAt" || entry.name == "updatedAt" {
            var name: String?
            if !entry.value.isNull {
                guard let given = readString(entry.value, "@model(timestamps:) \(entry.name)") else { continue }
                guard Self.isValidName(given), !Self.reservedFieldNames.contains(given) else {
                    error("@model(timestamps:) \(entry.name): '\(given)' is not a usable field name", at: entry.value.location)
                    continue
                }
                name = given
            }
            if entry.name == "createdAt" { config.createdAt = name } else { config.updatedAt = name }
        }
        if let createdAt = config.createdAt, createdAt == config.updatedAt {
            error("@model(timestamps:) names both timestamps '\(createdAt)'", at: value.location)
            config.updatedAt = nil
        }
    }

    static func setOperation(_ kind: GeneratedOperation.Kind, _ enabled: Bool, in operations: inout ModelOperations) {
        switch kind {
        case .get: operations.get = enabled
        case .list: operations.list = enabled
        case .sync: operations.sync = enabled
        case .create: operations.create = enabled
        case .update: operations.update = enabled
        case .delete: operations.delete = enabled
        case .onCreate: operations.onCreate = enabled
        case .onUpdate: operations.onUpdate = enabled
        case .onDelete: operations.onDelete = enabled
        case .search, .indexQuery, .notification: break
        }
    }

    // MARK: - @auth

    static let authOperations: [String: AuthRule.Operation] = [
        "create": .create, "read": .read, "update": .update, "delete": .delete,
        // Amplify's finer read operations all mean read here.
        "get": .read, "list": .read, "listen": .read, "sync": .read, "search": .read,
    ]

    /// `@auth(rules: [...])`; nil when the directive is unusable.
    mutating func parseAuthDirective(_ directive: DirectiveUse) -> [AuthRuleDraft]? {
        checkArguments(directive, allowed: ["rules"], required: ["rules"])
        guard let argument = directive.argument("rules") else { return nil }
        let items: [LocatedValue]
        switch argument.value.value {
        case .list(let list): items = list
        case .object: items = [argument.value]
        default:
            mismatch(argument.value, expected: "a list of rules", "@auth(rules:)")
            return nil
        }
        var rules: [AuthRuleDraft] = []
        for item in items {
            guard let entries = readObject(item, "an @auth rule") else { continue }
            if let rule = parseAuthRule(entries, at: item.location) { rules.append(rule) }
        }
        return rules
    }

    /// Whether a rule of kind `allow` takes the argument `entry`, which only `kind` rules take;
    /// reports the misplaced argument otherwise.
    private mutating func ruleTakes(_ entry: ObjectEntry, _ allow: AuthRule.Allow, only kind: AuthRule.Allow) -> Bool {
        guard allow == kind else {
            error("\(entry.name) is only valid with allow: \(kind.rawValue)", at: entry.location)
            return false
        }
        return true
    }

    private mutating func parseAuthRule(_ entries: [ObjectEntry], at location: TideModel.SourceLocation) -> AuthRuleDraft? {
        checkKeys(
            entries, allowed: ["allow", "ownerField", "groups", "groupsField", "operations", "provider"],
            in: "an @auth rule")
        guard let allowEntry = entries.first(where: { $0.name == "allow" }) else {
            error("an @auth rule needs allow: owner, groups, private or public", at: location)
            return nil
        }
        guard let allowName = readEnum(allowEntry.value, "allow", allowed: ["owner", "groups", "private", "public"]),
            let allow = AuthRule.Allow(rawValue: allowName)
        else { return nil }

        var draft = AuthRuleDraft(rule: AuthRule(allow: allow, location: location), location: location)
        var valid = true
        var hasGroups = false
        var provider: (String, TideModel.SourceLocation)?
        for entry in entries {
            switch entry.name {
            case "ownerField":
                guard ruleTakes(entry, allow, only: .owner), let name = readString(entry.value, "ownerField") else {
                    valid = false
                    continue
                }
                draft.rule.ownerField = name
                draft.ownerFieldLocation = entry.value.location
            case "groups":
                guard ruleTakes(entry, allow, only: .groups) else {
                    valid = false
                    continue
                }
                hasGroups = true
                if let groups = readStringList(entry.value, "groups") {
                    if groups.isEmpty {
                        error("groups must name at least one group", at: entry.value.location)
                        valid = false
                    }
                    draft.rule.groups = groups.map(\.0)
                } else {
                    valid = false
                }
            case "groupsField":
                guard ruleTakes(entry, allow, only: .groups), let name = readString(entry.value, "groupsField") else {
                    valid = false
                    continue
                }
                draft.rule.groupsField = name
                draft.groupsFieldLocation = entry.value.location
            case "operations":
                let allowed = ["create", "read", "update", "delete", "get", "list", "listen", "sync", "search"]
                if let names = readEnumList(entry.value, "operations", allowed: allowed) {
                    draft.rule.operations = Set(names.compactMap { Self.authOperations[$0] })
                } else {
                    valid = false
                }
            case "provider":
                let allowed = ["userPools", "oidc", "apiKey", "iam", "identityPool", "function"]
                if let name = readEnum(entry.value, "provider", allowed: allowed) {
                    provider = (name, entry.value.location)
                    draft.rule.provider = name
                } else {
                    valid = false
                }
            default:
                break
            }
        }
        if allow == .owner, draft.rule.ownerField == nil { draft.rule.ownerField = "owner" }
        if allow == .groups {
            if hasGroups, draft.rule.groupsField != nil {
                error("an @auth groups rule takes either groups or groupsField, not both", at: location)
                valid = false
            } else if !hasGroups, draft.rule.groupsField == nil {
                error("an @auth groups rule needs groups: [\"…\"] or groupsField", at: location)
                valid = false
            }
        }
        if let (name, at) = provider {
            let fitting: [String] =
                switch allow {
                case .owner, .groups: ["userPools", "oidc"]
                case .private: ["userPools", "oidc", "iam", "identityPool"]
                case .public: ["apiKey", "iam", "identityPool"]
                }
            if name == "function" {
                error("provider function (Lambda authorizers) is not supported by Tidewater", at: at)
                valid = false
            } else if !fitting.contains(name) {
                error("provider \(name) cannot be used with allow: \(allow.rawValue); use \(Self.list(fitting))", at: at)
                valid = false
            }
        }
        return valid ? draft : nil
    }

    // MARK: - @index, @ttl, @searchable, @conflict

    mutating func parseIndex(_ directive: DirectiveUse, field: String) -> IndexDraft? {
        checkArguments(directive, allowed: ["name", "sortKeyFields", "queryField"])
        var draft = IndexDraft(field: field, location: directive.location)
        var valid = true
        if let argument = directive.argument("name") {
            if argument.value.isNull {
                draft.name = nil
            } else if let name = readString(argument.value, "@index(name:)") {
                if Self.isValidName(name) {
                    draft.name = name
                    draft.nameLocation = argument.value.location
                } else {
                    error("@index(name:) '\(name)' is not a valid GraphQL name", at: argument.value.location)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        if let argument = directive.argument("sortKeyFields"), !argument.value.isNull {
            if let fields = readStringList(argument.value, "@index(sortKeyFields:)") {
                draft.sortKeyFields = fields
            } else {
                valid = false
            }
        }
        if let argument = directive.argument("queryField"), !argument.value.isNull {
            if let name = readString(argument.value, "@index(queryField:)") {
                if Self.isValidName(name) {
                    draft.queryField = name
                } else {
                    error("@index(queryField:) '\(name)' is not a valid GraphQL field name", at: argument.value.location)
                    valid = false
                }
            } else {
                valid = false
            }
        }
        return valid ? draft : nil
    }

    mutating func parseTTL(_ directive: DirectiveUse) -> (String, TideModel.SourceLocation)? {
        checkArguments(directive, allowed: ["field"], required: ["field"])
        guard let argument = directive.argument("field"), let name = readString(argument.value, "@ttl(field:)") else {
            return nil
        }
        return (name, argument.value.location)
    }

    mutating func parseSearchable(_ directive: DirectiveUse) -> SearchableDraft? {
        checkArguments(directive, allowed: ["fields"])
        guard let argument = directive.argument("fields"), !argument.value.isNull else {
            return SearchableDraft(fields: nil, location: directive.location)
        }
        guard let fields = readStringList(argument.value, "@searchable(fields:)") else { return nil }
        if fields.isEmpty {
            error("@searchable(fields:) must name at least one field", at: argument.value.location)
            return nil
        }
        return SearchableDraft(fields: fields, location: directive.location)
    }

    mutating func parseConflict(_ directive: DirectiveUse) -> ConflictStrategy? {
        checkArguments(directive, allowed: ["strategy"], required: ["strategy"])
        guard let argument = directive.argument("strategy"),
            let name = readEnum(
                argument.value, "@conflict(strategy:)",
                allowed: [ConflictStrategy.optimisticConcurrency.rawValue, ConflictStrategy.automerge.rawValue])
        else { return nil }
        return ConflictStrategy(rawValue: name)
    }
}
