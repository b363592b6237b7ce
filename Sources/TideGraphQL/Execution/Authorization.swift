import TideModel

/// `AccessPolicy` decisions for one resolver call, turned into GraphQL errors and store
/// requirements. The rules themselves live in `TideModel.AccessPolicy`.
struct Authorization {
    let policy: AccessPolicy
    let principal: Principal

    private var model: ModelType { policy.model }

    /// The requirement records must meet for `operation`; nil when every record qualifies.
    /// Throws when no record can qualify.
    func requirement(_ operation: AuthRule.Operation) throws(GraphQLErrorBody) -> FilterExpression? {
        try requirement(of: policy.decision(operation, for: principal), operation)
    }

    func requirement(of decision: AccessDecision, _ operation: AuthRule.Operation) throws(GraphQLErrorBody) -> FilterExpression? {
        switch decision {
        case .all: return nil
        case .matching(let expression): return expression
        case .none: throw denied(operation)
        }
    }

    /// Why `operation` is refused before any record is looked at.
    func denied(_ operation: AuthRule.Operation) -> GraphQLErrorBody {
        if model.authRules.isEmpty && policy.fieldsWithRules.isEmpty {
            return GraphQLErrorBody(
                message: "\(model.name) has no @auth rules, so no caller may access it (deny by default).",
                code: .forbidden)
        }
        if principal == .anonymous {
            return GraphQLErrorBody(
                message: "Not signed in: send Authorization: Bearer <token> or x-api-key.", code: .unauthenticated)
        }
        return forbidden(operation)
    }

    func forbidden(_ operation: AuthRule.Operation, field: String? = nil) -> GraphQLErrorBody {
        let target = field.map { "\(model.name).\($0)" } ?? model.name
        return GraphQLErrorBody(message: "Not authorized to \(operation.rawValue) \(target).", code: .forbidden)
    }

    /// Checks the `@auth` rules for a new record, after `assigningOwner`.
    func checkCreate(_ values: [String: JSONValue]) throws(GraphQLErrorBody) {
        let decision = policy.decision(.create, for: principal)
        if case .none = decision { throw denied(.create) }
        guard decision.covers(values) else { throw forbidden(.create) }
        for (name, value) in values where !value.isNull && policy.hasOwnRules(name) {
            guard policy.fieldDecision(name, .create, for: principal).covers(values) else {
                throw forbidden(.create, field: name)
            }
        }
    }

    /// The requirement an update of `input` puts on the stored record: the model's update rule
    /// and the update rules of every protected field it touches.
    func updateRequirement(_ input: [String: JSONValue]) throws(GraphQLErrorBody) -> FilterExpression? {
        var parts: [FilterExpression] = []
        if let modelRequirement = try requirement(of: policy.updateDecision(input: input, for: principal), .update) {
            parts.append(modelRequirement)
        }
        for name in policy.protectedFields(touchedBy: input) {
            switch policy.fieldUpdateDecision(name, input: input, for: principal) {
            case .all: break
            case .matching(let expression): parts.append(expression)
            case .none: throw forbidden(.update, field: name)
            }
        }
        return parts.isEmpty ? nil : parts.count == 1 ? parts[0] : .and(parts)
    }

    /// Whether the model-level read rules cover `record`.
    func canRead(_ record: Record) -> Bool {
        policy.decision(.read, for: principal).covers(record.fields)
    }

    /// Hides the fields whose own rules do not let this principal read them (they answer null).
    /// Made once per request: a page of records shares the field decisions.
    func redaction() -> Redaction {
        Redaction(
            restricted: policy.fieldsWithRules.compactMap { name in
                let decision = policy.fieldDecision(name, .read, for: principal)
                return decision == .all ? nil : (name, decision)
            })
    }

    struct Redaction {
        let restricted: [(field: String, decision: AccessDecision)]

        func apply(_ record: Record) -> Record {
            guard !restricted.isEmpty else { return record }
            var visible = record
            for (name, decision) in restricted where !decision.covers(record.fields) {
                visible.fields[name] = nil
            }
            return visible
        }

        /// Those of the dotted field paths (`"cover.alt"`) whose top-level field `apply` would
        /// leave visible in `record`.
        func visiblePaths(_ paths: [String], of record: Record) -> [String] {
            guard !restricted.isEmpty else { return paths }
            return paths.filter { path in
                let field = path.prefix { $0 != "." }
                return !restricted.contains { $0.field == field && !$0.decision.covers(record.fields) }
            }
        }
    }
}
