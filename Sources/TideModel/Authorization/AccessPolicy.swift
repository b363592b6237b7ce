/// What `@auth` rules allow one principal to do with one operation on a model or a field.
public enum AccessDecision: Sendable, Hashable {
    /// Every record (a `private`, `public` or static `groups` rule admits the principal).
    case all
    /// Only records matching the expression (owner and dynamic-group rules).
    case matching(FilterExpression)
    /// Nothing.
    case none

    /// Whether `record` (field name → value) is covered.
    public func covers(_ record: [String: JSONValue]) -> Bool {
        switch self {
        case .all: true
        case .matching(let expression): FilterEvaluator.matches(expression, record)
        case .none: false
        }
    }

    /// The expression a covered record must match; `nil` for `.all`, a match-nothing expression
    /// for `.none`.
    public var requirement: FilterExpression? {
        switch self {
        case .all: nil
        case .matching(let expression): expression
        case .none: .nothing
        }
    }
}

extension FilterExpression {
    /// Matches no record.
    public static let nothing = FilterExpression.not(.all)
}

/// The `@auth` rules (ARCHITECTURE §2) in one place: deny by default, rules OR-ed, each rule
/// limited to its `operations`, field rules replacing the model's rules for their field.
///
/// Owner and dynamic-group rules depend on the record, so they become filter expressions that
/// the store evaluates: pushed into SQL for lists (pages stay full) and checked inside the
/// write transaction for updates and deletes (atomic with the write).
///
/// `public` admits API keys; with `provider: iam` or `identityPool` (Amplify's guest access) it
/// also admits callers without any credentials.
///
/// Owner identity (ARCHITECTURE §3): the owner field stores the user id (the token's `sub`).
/// A value naming the caller as `sub`, `username` or Amplify's `sub::username` is stored as
/// `sub`; `createX` writes it when the owner field is absent. Matching also accepts the
/// username and `sub::username` forms, which other users may have written into a multi-owner
/// list and which imported Amplify data carries.
///
/// A class: every request looks its model's policy up, and a copy of the model description
/// would cost a retain for each of its many fields.
public final class AccessPolicy: Sendable {
    public let model: ModelType
    /// The names of fields with their own `@auth` rules.
    public let fieldsWithRules: [String]

    public init(model: ModelType) {
        self.model = model
        self.fieldsWithRules = model.fields.compactMap { $0.authRules == nil ? nil : $0.name }
    }

    /// Whether `field` has its own `@auth` rules.
    public func hasOwnRules(_ field: String) -> Bool {
        !fieldsWithRules.isEmpty && fieldsWithRules.contains(field)
    }

    /// The decision for the model-level rules.
    public func decision(_ operation: AuthRule.Operation, for principal: Principal) -> AccessDecision {
        Self.decision(rules: model.authRules, operation, for: principal, in: model)
    }

    /// The decision for a field: its own rules when it has any, else the model's.
    public func fieldDecision(_ field: String, _ operation: AuthRule.Operation, for principal: Principal) -> AccessDecision {
        guard let rules = model.field(named: field)?.authRules else { return decision(operation, for: principal) }
        return Self.decision(rules: rules, operation, for: principal, in: model)
    }

    /// The owner fields named by owner rules, the model's and its fields'.
    public var ownerFields: [String] {
        var names: [String] = []
        for rules in [model.authRules] + model.fields.compactMap(\.authRules) {
            for name in Self.ownerFields(rules) where !names.contains(name) { names.append(name) }
        }
        return names
    }

    private static func ownerFields(_ rules: [AuthRule]) -> [String] {
        rules.compactMap { $0.allow == .owner ? ($0.ownerField ?? "owner") : nil }
    }

    /// The update rule: an update is allowed where a non-owner rule allows it, or where an owner
    /// rule allows it and no owner field changes. So an owner cannot hand a record to someone
    /// else (or add co-owners) unless another rule, such as an admin group, grants the update.
    /// `input` holds the fields the update writes.
    public func updateDecision(input: [String: JSONValue], for principal: Principal) -> AccessDecision {
        Self.updateDecision(rules: model.authRules, input: input, for: principal, in: model)
    }

    /// The same rule for a field with its own rules, which applies when the update writes the
    /// field or one of the owner fields its rules name (changing that owner changes who may see
    /// the field).
    public func fieldUpdateDecision(_ field: String, input: [String: JSONValue], for principal: Principal) -> AccessDecision {
        guard let rules = model.field(named: field)?.authRules else { return updateDecision(input: input, for: principal) }
        return Self.updateDecision(rules: rules, input: input, for: principal, in: model)
    }

    /// The protected fields an update of `input` touches: written directly, or through an owner
    /// field their rules name.
    public func protectedFields(touchedBy input: [String: JSONValue]) -> [String] {
        fieldsWithRules.filter { name in
            input[name] != nil || Self.ownerFields(model.field(named: name)?.authRules ?? []).contains { input[$0] != nil }
        }
    }

    private static func updateDecision(
        rules: [AuthRule], input: [String: JSONValue], for principal: Principal, in model: ModelType
    ) -> AccessDecision {
        let others = decision(rules: rules.filter { $0.allow != .owner }, .update, for: principal, in: model)
        if case .all = others { return .all }
        let ownerRules = rules.filter { $0.allow == .owner }
        guard case .matching(let expression) = decision(rules: ownerRules, .update, for: principal, in: model) else {
            return others
        }
        let unchanged = ownerFields(ownerRules).compactMap { field in input[field].map { FilterExpression.field(field, .eq($0)) } }
        return union(others, .matching(unchanged.isEmpty ? expression : .and([expression] + unchanged)))
    }

    /// Fills absent owner fields of a new record with the caller's user id (a one-element list
    /// for a list field), as Amplify does, after `normalizingOwners`.
    public func assigningOwner(_ values: [String: JSONValue], for principal: Principal) -> [String: JSONValue] {
        guard let user = principal.user else { return values }
        var values = normalizingOwners(values, for: principal)
        for name in ownerFields where values[name]?.isNull ?? true {
            let isList = model.field(named: name)?.type.isList ?? false
            values[name] = isList ? .array([.string(user.id)]) : .string(user.id)
        }
        return values
    }

    /// Rewrites owner-field values that name the caller (`username`, `sub::username`) to the
    /// caller's `sub`, the stored form; values naming others are kept as written.
    public func normalizingOwners(_ values: [String: JSONValue], for principal: Principal) -> [String: JSONValue] {
        guard let user = principal.user else { return values }
        let aliases: Set<String> = [user.username, "\(user.id)::\(user.username)"]
        func normalized(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let name) where aliases.contains(name): .string(user.id)
            case .array(let items): .array(items.map(normalized))
            default: value
            }
        }
        var values = values
        for name in ownerFields {
            if let value = values[name] { values[name] = normalized(value) }
        }
        return values
    }

    /// Makes `filter` unable to observe fields the principal may not read: every comparison on
    /// such a field becomes false for records where the field is hidden, whatever its value.
    public func guarding(_ filter: FilterExpression, for principal: Principal) -> FilterExpression {
        let protected = fieldsWithRules
        guard !protected.isEmpty else { return filter }
        var decisions: [String: AccessDecision] = [:]
        for name in protected { decisions[name] = fieldDecision(name, .read, for: principal) }
        return Self.guarding(filter, decisions)
    }

    private static func guarding(_ filter: FilterExpression, _ decisions: [String: AccessDecision]) -> FilterExpression {
        switch filter {
        case .and(let subs): return .and(subs.map { guarding($0, decisions) })
        case .or(let subs): return .or(subs.map { guarding($0, decisions) })
        case .not(let sub): return .not(guarding(sub, decisions))
        case .field(let name, _):
            switch decisions[name] {
            case nil, .all?: return filter
            case .none?: return .nothing
            case .matching(let requirement)?: return .and([requirement, filter])
            }
        }
    }

    // MARK: - Rule evaluation

    static func decision(
        rules: [AuthRule], _ operation: AuthRule.Operation, for principal: Principal, in model: ModelType
    ) -> AccessDecision {
        var result = AccessDecision.none
        for rule in rules where rule.operations.contains(operation) {
            result = union(result, decision(rule, for: principal, in: model))
            if case .all = result { return .all }
        }
        return result
    }

    private static func decision(_ rule: AuthRule, for principal: Principal, in model: ModelType) -> AccessDecision {
        switch (rule.allow, principal) {
        case (.public, .anonymous): return rule.admitsGuests ? .all : .none
        case (.public, .apiKey): return .all
        case (.private, .user): return .all
        case (.groups, .user(let user)):
            if let field = rule.groupsField {
                return membership(field, anyOf: user.groups, in: model)
            }
            return rule.groups.contains(where: user.groups.contains) ? .all : .none
        case (.owner, .user(let user)):
            return membership(
                rule.ownerField ?? "owner", anyOf: [user.id, user.username, "\(user.id)::\(user.username)"], in: model)
        default:
            return .none
        }
    }

    /// Records whose `field` (a string or a list of strings) holds one of `values`.
    private static func membership(_ field: String, anyOf values: [String], in model: ModelType) -> AccessDecision {
        guard !values.isEmpty else { return .none }
        if model.field(named: field)?.type.isList ?? false {
            return .matching(.or(values.map { .field(field, .contains(.string($0))) }))
        }
        return .matching(.field(field, .in(values.map(JSONValue.string))))
    }

    static func union(_ a: AccessDecision, _ b: AccessDecision) -> AccessDecision {
        switch (a, b) {
        case (.all, _), (_, .all): .all
        case (.none, let other), (let other, .none): other
        case (.matching(let x), .matching(let y)): .matching(.or(flattenOr(x) + flattenOr(y)))
        }
    }

    private static func flattenOr(_ expression: FilterExpression) -> [FilterExpression] {
        if case .or(let subs) = expression, !subs.isEmpty { return subs }
        return [expression]
    }
}
