import TideModel
import TideSchema
import TideStore

extension GraphQLEngine {
    /// Sorts a WebSocket `subscribe` request: a subscription is compiled (through the same
    /// document cache as HTTP requests) into an ``EventSubscription`` for `context.principal`;
    /// a query or mutation is left for ``execute(_:context:)``; anything invalid is rejected
    /// with the errors an `error` message carries.
    ///
    /// A subscription selects exactly one generated field (`onCreateX`, `onUpdateX`,
    /// `onDeleteX`). Its `filter` uses the list filters' evaluator (with `in`/`notIn`); an owner
    /// argument (`owner: "…"`, as Amplify clients send) keeps events whose owner field names that
    /// user. A caller the model's read rules admit to no record at all is refused here; every
    /// other check happens per event.
    public func prepare(_ request: GraphQLRequest, context: ExecutionContext) -> OperationStart {
        let operation: CompiledOperation
        switch compiledOperation(request) {
        case .success(let op): operation = op
        case .failure(let failure): return .rejected(errors: Self.errorList(failure.errors))
        }
        guard operation.kind == .subscription else { return .single }
        let variables: [String: JSONValue]
        do {
            variables = try coercer.coerceVariables(operation.variables, request.variables)
        } catch {
            return .rejected(errors: Self.errorList(error.errors))
        }
        let rootType = OperationKind.subscription.rootType
        let fields = operation.selections.collect(variables: variables, needsCollection: operation.rootNeedsCollection)
        guard fields.count == 1, let field = fields.first, let generated = operations[rootType]?[field.name],
            let definition = types.outputField(rootType, field.name), let policy = resolvers.policies[generated.model]
        else {
            return .rejected(errors: Self.errorList([
                GraphQLErrorBody(
                    message: "A subscription selects exactly one of the generated onCreate/onUpdate/onDelete fields.",
                    code: .badUserInput)
            ]))
        }
        let feedOperation: FeedEntry.Operation
        switch generated.kind {
        case .onCreate: feedOperation = .insert
        case .onUpdate: feedOperation = .modify
        case .onDelete: feedOperation = .remove
        default: return .rejected(errors: Self.errorList([GraphQLErrorBody(message: "Unknown field \(field.name).", code: .badUserInput)]))
        }
        let access = Authorization(policy: policy, principal: context.principal)
        do throws(GraphQLErrorBody) {
            _ = try access.requirement(.read)
            let arguments = try coerceArguments(field, definition: definition, variables: variables)
            var parts: [FilterExpression] = []
            if let filter = try resolvers.filter(arguments["filter"], argument: "filter", access: access) {
                parts.append(filter)
            }
            for (name, value) in arguments where name != "filter" && !value.isNull {
                parts.append(ownerFilter(name, value, policy: policy, principal: context.principal))
            }
            let redaction = access.redaction()
            return .stream(
                EventSubscription(
                    model: generated.model, operation: feedOperation,
                    renderKey: EventSubscription.RenderKey(
                        query: request.query, operationName: request.operationName, variables: request.variables,
                        // Without field rules for the caller the payload does not depend on who
                        // asks: every caller that hears an entry shares its rendering.
                        principal: redaction.restricted.isEmpty ? nil : context.principal),
                    modelType: policy.model, field: field,
                    fieldType: definition.type, variables: variables,
                    filter: parts.isEmpty ? nil : parts.count == 1 ? parts[0] : .and(parts),
                    read: policy.decision(.read, for: context.principal), redaction: redaction))
        } catch {
            var located = error
            located.locations = [field.location]
            located.path = [.key(field.responseKey)]
            return .rejected(errors: Self.errorList([located]))
        }
    }

    /// Events whose owner field names `value`: the caller's own names are stored as their `sub`,
    /// so they are rewritten like owner values in mutations.
    private func ownerFilter(_ name: String, _ value: JSONValue, policy: AccessPolicy, principal: Principal) -> FilterExpression {
        let owner = policy.normalizingOwners([name: value], for: principal)[name] ?? value
        let isList = policy.model.field(named: name)?.type.isList ?? false
        return .field(name, isList ? .contains(owner) : .eq(owner))
    }

    /// A JSON array of GraphQL errors.
    static func errorList(_ errors: [GraphQLErrorBody]) -> [UInt8] {
        var w = JSONWriter()
        writeErrors(errors, to: &w)
        return w.bytes
    }
}
