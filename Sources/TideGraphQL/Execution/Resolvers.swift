import Logging
import TideModel
import TideSchema
import TideStore

/// The generated operations (ARCHITECTURE §3) mapped onto the store: one function per kind,
/// arguments already coerced to their GraphQL input types.
struct Resolvers: Sendable {
    let store: any RecordStore
    /// The `@auth` rules of every model, by model name.
    let policies: [String: AccessPolicy]
    let tokens: PageTokenCodec
    /// Models with `@encrypted` fields: their write inputs are checked before anything is stored.
    let encryptedInputs: [String: EncryptedInputCheck]
    let limits: GraphQLLimits
    /// `searchXs`; nil when the server runs without a search index.
    let search: SearchResolver?
    /// The notification operations; nil when the server runs without notifications (the
    /// schema then has no such fields).
    let endpoints: EndpointResolver?
    let logger: Logger

    /// Any generated operation; writes wait for their commit.
    func resolve(
        _ operation: GeneratedOperation, arguments: [String: JSONValue], context: ExecutionContext, selected: [String] = []
    ) async throws(GraphQLErrorBody) -> Resolution {
        if case .notification(let notification) = operation.kind {
            return try resolveNotification(notification, arguments: arguments, context: context)
        }
        let policy = try policy(operation)
        let model = policy.model
        let access = Authorization(policy: policy, principal: context.principal)
        let actor = context.principal.actor
        switch operation.kind {
        case .get, .list, .indexQuery, .sync:
            return try resolveRead(operation, arguments: arguments, context: context)
        case .search:
            // Read-your-writes: wait (bounded) for the index to reach the caller's feed position.
            if case .int(let seq)? = arguments["minSeq"], let search {
                guard await search.service.waitUntilIndexed(seq, timeout: limits.searchWaitTimeout) else {
                    throw GraphQLErrorBody(
                        message: "The search index did not reach feed position \(seq) within \(limits.searchWaitTimeout); try again.",
                        code: .searchIndexBehind)
                }
            }
            return try resolveRead(operation, arguments: arguments, context: context, selected: selected)
        case .create:
            var input = try inputObject(arguments)
            try encryptedInputs[model.name]?.check(input)
            let id = input.removeValue(forKey: "id").flatMap(\.stringValue)
            input.removeValue(forKey: Record.MetaField.version)
            input = policy.assigningOwner(input, for: context.principal)
            try access.checkCreate(input)
            let condition = try filter(arguments["condition"], argument: "condition")
            let record = try await storeWrite(model, access) { () async throws(StoreError) in
                try await store.create(model: model.name, id: id, values: input, condition: condition, actor: actor)
            }
            return Resolution(.record(access.redaction().apply(record)))
        case .update:
            var input = try inputObject(arguments)
            try encryptedInputs[model.name]?.check(input)
            let (id, version) = try identity(&input)
            input = policy.normalizingOwners(input, for: context.principal)
            let guards = WriteGuards(
                expectedVersion: version,
                condition: try filter(arguments["condition"], argument: "condition", access: access),
                authorization: try access.updateRequirement(input),
                conflictStrategy: model.conflictStrategy)
            let outcome = try await storeWrite(model, access) { () async throws(StoreError) in
                try await store.update(model: model.name, id: id, values: input, guards: guards, actor: actor)
            }
            let redaction = access.redaction()
            // A dropped field the caller may not read stays unnamed: "dropped" would tell them
            // that its stored value is set and differs from the one they sent.
            return Resolution(
                .record(redaction.apply(outcome.record)),
                droppedByMerge: outcome.merged ? redaction.visiblePaths(outcome.dropped, of: outcome.record) : nil)
        case .delete:
            var input = try inputObject(arguments)
            let (id, version) = try identity(&input)
            let guards = WriteGuards(
                expectedVersion: version,
                condition: try filter(arguments["condition"], argument: "condition", access: access),
                authorization: try access.requirement(.delete))
            let record = try await storeWrite(model, access) { () async throws(StoreError) in
                try await store.delete(model: model.name, id: id, guards: guards, actor: actor)
            }
            return Resolution(.record(access.redaction().apply(record)))
        default:
            throw GraphQLErrorBody(
                message: "\(operation.fieldName) is not supported by this server version yet.", code: .operationNotSupported)
        }
    }

    /// The read operations (get, list, index queries, delta sync): synchronous store reads.
    func resolveRead(
        _ operation: GeneratedOperation, arguments: [String: JSONValue], context: ExecutionContext, selected: [String] = []
    ) throws(GraphQLErrorBody) -> Resolution {
        if case .notification(let notification) = operation.kind {
            return try resolveNotification(notification, arguments: arguments, context: context)
        }
        let policy = try policy(operation)
        let model = policy.model
        let access = Authorization(policy: policy, principal: context.principal)
        switch operation.kind {
        case .get:
            let id = try requiredString(arguments, "id")
            let requirement = try access.requirement(.read)
            guard let record = try storeCall({ () throws(StoreError) in try store.get(model: model.name, id: id) }) else {
                return Resolution(.null)
            }
            if let requirement, !FilterEvaluator.matches(requirement, record.fields) { throw access.forbidden(.read) }
            return Resolution(.record(access.redaction().apply(record)))
        case .list:
            let query = try listQuery(arguments, operation: operation, index: nil, access: access)
            return Resolution(try page(model: model, query: query, operation: operation, access: access))
        case .indexQuery(let indexName):
            guard let index = model.indexes.first(where: { $0.name == indexName }) else {
                throw GraphQLErrorBody(message: "Unknown index \(indexName).", code: .internalError)
            }
            let query = try listQuery(arguments, operation: operation, index: index, access: access)
            return Resolution(try page(model: model, query: query, operation: operation, access: access))
        case .sync:
            return try sync(
                model, arguments: arguments, operation: operation, access: access,
                clientFilter: try filter(arguments["filter"], argument: "filter", access: access),
                limit: try pageLimit(arguments))
        case .search:
            guard let search else {
                throw GraphQLErrorBody(
                    message: "\(operation.fieldName) needs the search index, which this server runs without.",
                    code: .operationNotSupported)
            }
            return Resolution(
                try search.resolve(operation, arguments: arguments, access: access, limit: try pageLimit(arguments), selected: selected))
        default:
            throw GraphQLErrorBody(
                message: "\(operation.fieldName) is not a query.", code: .internalError)
        }
    }

    private func resolveNotification(
        _ operation: NotificationOperation, arguments: [String: JSONValue], context: ExecutionContext
    ) throws(GraphQLErrorBody) -> Resolution {
        guard let endpoints else {
            throw GraphQLErrorBody(
                message: "\(operation.rawValue) needs notifications, which this server runs without.", code: .operationNotSupported)
        }
        return try endpoints.resolve(operation, arguments: arguments, principal: context.principal)
    }

    private func policy(_ operation: GeneratedOperation) throws(GraphQLErrorBody) -> AccessPolicy {
        guard let policy = policies[operation.model] else {
            throw GraphQLErrorBody(message: "Unknown model \(operation.model).", code: .internalError)
        }
        return policy
    }

    // MARK: - Lists and index queries

    private func page(
        model: ModelType, query: ListQuery, operation: GeneratedOperation, access: Authorization
    ) throws(GraphQLErrorBody) -> OutputValue {
        let page = try storeCall { () throws(StoreError) in try store.list(model: model.name, query: query) }
        let redaction = access.redaction()
        return .connection(
            .init(
                items: page.records.map(redaction.apply),
                nextToken: page.next.map { tokens.encode($0, operation: operation.fieldName) }))
    }

    /// The store query for a list or index query. The read rules join the client's filter, so
    /// SQL returns only readable records and pages stay full.
    private func listQuery(
        _ arguments: [String: JSONValue], operation: GeneratedOperation, index: TideModel.Index?, access: Authorization
    ) throws(GraphQLErrorBody) -> ListQuery {
        let requirement = try access.requirement(.read)
        let limit = try pageLimit(arguments)
        var after: Cursor?
        if case .string(let token)? = arguments["nextToken"] {
            guard let cursor = tokens.decode(token, operation: operation.fieldName) else {
                throw GraphQLErrorBody(message: "Invalid nextToken.", code: .badUserInput)
            }
            after = cursor
        }
        let clientFilter = try filter(arguments["filter"], argument: "filter", access: access)
        let combined = [clientFilter, requirement].compactMap { $0 }
        var query = ListQuery(
            filter: combined.count > 1 ? .and(combined) : combined.first,
            descending: arguments["sortDirection"] == .string("DESC"),
            limit: limit,
            after: after)
        if let index {
            guard let hashValue = arguments[index.field], !hashValue.isNull else {
                throw GraphQLErrorBody(message: "\(index.field) is required.", code: .badUserInput)
            }
            let reserved: Set<String> = [index.field, "sortDirection", "filter", "limit", "nextToken"]
            let sortArgument = arguments.first { !reserved.contains($0.key) && !$0.value.isNull }?.value
            query.index = IndexQuery(
                indexName: index.name, hashValue: hashValue,
                sortCondition: try sortCondition(sortArgument, sortKeyFields: index.sortKeyFields))
        }
        return query
    }

    /// The `limit` argument, checked against the configured maximum.
    func pageLimit(_ arguments: [String: JSONValue]) throws(GraphQLErrorBody) -> Int {
        guard case .int(let given)? = arguments["limit"] else { return limits.defaultPageSize }
        guard given >= 1, given <= Int64(limits.maxPageSize) else {
            throw GraphQLErrorBody(message: "limit must be between 1 and \(limits.maxPageSize).", code: .badUserInput)
        }
        return Int(given)
    }

    /// `{eq: v}` / `{between: [a, b]}` on one sort key, or the composite form
    /// `{eq: {status: "x", createdAt: "y"}}` on several.
    private func sortCondition(_ value: JSONValue?, sortKeyFields: [String]) throws(GraphQLErrorBody) -> SortKeyCondition? {
        guard case .object(let object)? = value else { return nil }
        let given = object.filter { !$0.value.isNull }
        guard given.count == 1, let (op, operand) = given.first else {
            throw GraphQLErrorBody(message: "A key condition takes exactly one operator.", code: .badUserInput)
        }
        func tuple(_ v: JSONValue) -> [JSONValue] {
            guard case .object(let parts) = v else { return [v] }
            var values: [JSONValue] = []
            for name in sortKeyFields {
                guard let part = parts[name], !part.isNull else { break }
                values.append(part)
            }
            return values
        }
        switch op {
        case "eq": return .eq(tuple(operand))
        case "le": return .le(tuple(operand))
        case "lt": return .lt(tuple(operand))
        case "ge": return .ge(tuple(operand))
        case "gt": return .gt(tuple(operand))
        case "beginsWith": return .beginsWith(tuple(operand))
        case "between":
            guard case .array(let bounds) = operand, bounds.count == 2 else {
                throw GraphQLErrorBody(message: "between takes exactly two values.", code: .badUserInput)
            }
            return .between(tuple(bounds[0]), tuple(bounds[1]))
        default:
            throw GraphQLErrorBody(message: "Unknown key condition operator \(op).", code: .badUserInput)
        }
    }

    /// A `filter` or `condition` argument. With `access`, comparisons on fields the caller may
    /// not read are guarded, so a filter cannot reveal a hidden value.
    func filter(
        _ value: JSONValue?, argument: String, access: Authorization? = nil
    ) throws(GraphQLErrorBody) -> FilterExpression? {
        guard let value, !value.isNull else { return nil }
        let expression: FilterExpression
        do {
            expression = try FilterExpression(input: value)
        } catch {
            throw GraphQLErrorBody(message: "Invalid \(argument): \(error.message)", code: .badUserInput)
        }
        guard let access else { return expression }
        return access.policy.guarding(expression, for: access.principal)
    }

    // MARK: - Mutations

    private func inputObject(_ arguments: [String: JSONValue]) throws(GraphQLErrorBody) -> [String: JSONValue] {
        guard case .object(let input)? = arguments["input"] else {
            throw GraphQLErrorBody(message: "input is required.", code: .badUserInput)
        }
        return input
    }

    /// Takes `id` and `_version` out of an update/delete input; `_version` is required so
    /// that no client overwrites a change it has not seen.
    private func identity(_ input: inout [String: JSONValue]) throws(GraphQLErrorBody) -> (String, Int64) {
        guard case .string(let id)? = input.removeValue(forKey: "id") else {
            throw GraphQLErrorBody(message: "input.id is required.", code: .badUserInput)
        }
        guard case .int(let version)? = input.removeValue(forKey: Record.MetaField.version) else {
            throw GraphQLErrorBody(
                message: "input._version is required: send the _version you last read.", code: .badUserInput)
        }
        return (id, version)
    }

    private func requiredString(_ arguments: [String: JSONValue], _ name: String) throws(GraphQLErrorBody) -> String {
        guard case .string(let s)? = arguments[name] else {
            throw GraphQLErrorBody(message: "\(name) is required.", code: .badUserInput)
        }
        return s
    }

    // MARK: - Store errors

    func storeCall<T>(_ body: () throws(StoreError) -> T) throws(GraphQLErrorBody) -> T {
        do { return try body() } catch { throw report(error, model: nil) }
    }

    private func storeWrite<T>(
        _ model: ModelType, _ access: Authorization, _ body: () async throws(StoreError) -> T
    ) async throws(GraphQLErrorBody) -> T {
        do {
            return try await body()
        } catch {
            // A conflict shows the current record: only as much of it as the caller may read.
            if case .versionConflict(let current) = error {
                guard access.canRead(current) else {
                    throw GraphQLErrorBody(message: "Conflict resolver rejects mutation.", code: .conflictUnhandled)
                }
                throw report(.versionConflict(current: access.redaction().apply(current)), model: model)
            }
            throw report(error, model: model)
        }
    }

    private func report(_ error: StoreError, model: ModelType?) -> GraphQLErrorBody {
        let body = Self.map(error, model: model)
        if body.code == .internalError {
            // Details stay in the log; the client only learns that it was our fault.
            logger.error("store failure", metadata: ["error": "\(error)"])
        } else if body.code == .storageFull {
            logger.error("a write failed: the disk holding the data folder is full; writes fail until space is freed")
        }
        return body
    }

    /// `model` names the timestamp fields of the current record a conflict reports.
    static func map(_ error: StoreError, model: ModelType?) -> GraphQLErrorBody {
        switch error {
        case .notFound(let model, let id):
            return GraphQLErrorBody(message: "No \(model) with id \"\(id)\".", code: .notFound)
        case .alreadyExists(let model, let id):
            return GraphQLErrorBody(message: "A \(model) with id \"\(id)\" already exists.", code: .conditionFailed)
        case .conditionFailed:
            return GraphQLErrorBody(message: "The conditional request failed.", code: .conditionFailed)
        case .forbidden(let model, let id):
            return GraphQLErrorBody(message: "Not authorized to change \(model) \"\(id)\".", code: .forbidden)
        case .versionConflict(let current):
            return GraphQLErrorBody(
                message: "Conflict resolver rejects mutation.", code: .conflictUnhandled,
                extensions: [
                    ("data", .object(current.values(
                        createdAtField: model.map(\.createdAtField) ?? "createdAt",
                        updatedAtField: model.map(\.updatedAtField) ?? "updatedAt")))
                ])
        case .invalidValue(let field, let reason):
            return GraphQLErrorBody(message: "Invalid value for \(field): \(reason)", code: .badUserInput)
        case .invalidQuery(let reason):
            return GraphQLErrorBody(message: reason, code: .badUserInput)
        case .storageFull:
            return GraphQLErrorBody(
                message: "The server is out of storage space: the write was not saved. Try again later.", code: .storageFull)
        case .unknownModel, .incompatibleSchema, .closed, .sqlite:
            return GraphQLErrorBody(message: "Internal server error.", code: .internalError)
        }
    }
}
