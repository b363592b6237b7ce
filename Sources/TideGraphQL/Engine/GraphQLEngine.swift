import GraphQL
import Logging
import TideCrypto
import TideModel
import TideSchema
import TideStore

/// Tidewater's GraphQL engine for the generated API.
///
/// A request's document is looked up in a bounded cache of compiled documents; on a miss it
/// is parsed and validated (GraphQLSwift, spec-conformant messages) and compiled once. The
/// executor then goes straight from coerced variables to the store and writes JSON in
/// selection-set order. GraphQLSwift's executor is used only for introspection, whose answers
/// are cached.
///
/// ```swift
/// let engine = try GraphQLEngine(schema: appSchema, store: store, pageTokenKey: key)
/// let response = await engine.execute(GraphQLRequest(query: "{ listNotes { items { id } } }"))
/// ```
public final class GraphQLEngine: Sendable {
    public let appSchema: AppSchema
    /// The generated client-facing SDL.
    public let sdl: String
    let graphQLSchema: GraphQLSchema
    let types: TypeTable
    let limits: GraphQLLimits
    let coercer: InputCoercer
    let resolvers: Resolvers
    let operations: [String: [String: GeneratedOperation]]
    let models: [String: ModelType]
    let documents: DocumentCache<Result<CompiledDocument, GraphQLFailure>>
    let introspection: IntrospectionExecutor
    /// Who may introspect the schema.
    public let introspectionAccess: IntrospectionAccess
    let logger: Logger

    public init(
        schema: AppSchema, store: any RecordStore, pageTokenKey: [UInt8], limits: GraphQLLimits = GraphQLLimits(),
        search: (any SearchService)? = nil, endpoints: (any EndpointDirectory)? = nil,
        introspection introspectionAccess: IntrospectionAccess = .authenticated,
        logger: Logger = Logger(label: "tidewater.graphql")
    ) throws {
        self.appSchema = schema
        if endpoints != nil {
            let conflicts = SDLGenerator.notificationConflicts(schema)
            guard conflicts.isEmpty else { throw NotificationSchemaConflict(names: conflicts) }
        }
        self.sdl = SDLGenerator.generate(schema, notifications: endpoints != nil)
        self.graphQLSchema = try buildSchema(source: sdl)
        self.types = TypeTable(sdl: try parse(source: sdl))
        self.limits = limits
        self.coercer = InputCoercer(types: types, maxDepth: limits.maxInputDepth)
        self.models = Dictionary(schema.models.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let tokens = PageTokenCodec(authenticator: MessageAuthenticator(key: pageTokenKey))
        self.resolvers = Resolvers(
            store: store, policies: models.mapValues(AccessPolicy.init(model:)), tokens: tokens,
            encryptedInputs: models.mapValues { EncryptedInputCheck(model: $0, schema: schema) }.filter { !$0.value.isEmpty },
            limits: limits, search: search.map { SearchResolver(service: $0, ranked: RankedResults(), tokens: tokens) },
            endpoints: endpoints.map { EndpointResolver(directory: $0, logger: logger) }, logger: logger)
        var operations: [String: [String: GeneratedOperation]] = [:]
        for operation in schema.generatedOperations + (endpoints != nil ? GeneratedOperation.notificationOperations : []) {
            operations[operation.rootType, default: [:]][operation.fieldName] = operation
        }
        self.operations = operations
        self.documents = DocumentCache(capacity: limits.documentCacheSize)
        self.introspection = IntrospectionExecutor(schema: graphQLSchema)
        self.introspectionAccess = introspectionAccess
        self.logger = logger
    }

    /// The schema's generated API already has names the notification operations declare.
    public struct NotificationSchemaConflict: Error, CustomStringConvertible {
        public var names: [String]

        public var description: String {
            "Notifications add the GraphQL names \(names.joined(separator: ", ")), which the schema's API already has: rename them in the schema."
        }
    }

    /// Compiled documents currently cached.
    public var cachedDocumentCount: Int { documents.count }

    /// Runs one request and returns the serialized response.
    public func execute(_ request: GraphQLRequest, context: ExecutionContext = ExecutionContext()) async -> GraphQLResponse {
        switch start(request, context: context) {
        case .finished(let response): return response
        case .pending(let pending): return await pending.run()
        }
    }

    /// Starts one request without suspending: everything but mutations and the first
    /// introspection of a schema finishes here (queries read the store synchronously), so a
    /// server can answer them on the thread that read the request.
    public func start(_ request: GraphQLRequest, context: ExecutionContext = ExecutionContext()) -> Execution {
        let operation: CompiledOperation
        switch compiledOperation(request) {
        case .success(let op): operation = op
        case .failure(let failure): return .finished(Self.requestError(failure, label: "invalid"))
        }
        if operation.touchesIntrospection, let refusal = introspectionAccess.refusal(for: context.principal) {
            return .finished(Self.requestError(refusal, label: "introspection"))
        }
        if operation.kind != .query && !context.allowsMutations {
            return .finished(
                GraphQLResponse(
                    body: Self.errorBody([
                        GraphQLErrorBody(message: "Only queries may be sent with GET; use POST.", code: .badUserInput)
                    ]),
                    outcome: .mutationNotAllowed, operationLabel: "invalid"))
        }
        let variables: [String: JSONValue]
        do {
            variables = try coercer.coerceVariables(operation.variables, request.variables)
        } catch {
            return .finished(Self.requestError(error, label: "invalid"))
        }
        if operation.isIntrospection {
            return .pending(
                PendingExecution { [introspection] in
                    let body = await introspection.execute(
                        query: request.query, operationName: request.operationName, variables: request.variables)
                    return GraphQLResponse(body: body, outcome: .executed(hadErrors: false), operationLabel: "introspection")
                })
        }
        if operation.touchesIntrospection {
            return .finished(
                Self.requestError(
                    .request(
                        message: "Introspection fields (__schema, __type) cannot be combined with other root fields in one operation.",
                        code: .badUserInput),
                    label: "invalid"))
        }
        switch operation.kind {
        case .subscription:
            return .finished(
                Self.requestError(
                    .request(message: "Subscriptions are served over WebSocket, not HTTP.", code: .badUserInput), label: "invalid"))
        case .query:
            // A search that waits for the index (minSeq) is the only query that is not answered at once.
            if operation.selections.contains(where: { $0.arguments.contains { $0.name == "minSeq" } }) {
                return .pending(PendingExecution { await self.runPending(operation, variables: variables, context: context) })
            }
            return .finished(
                render(operation, variables: variables) { field, generated, definition throws(GraphQLErrorBody) in
                    try resolvers.resolveRead(
                        generated, arguments: try coerceArguments(field, definition: definition, variables: variables), context: context,
                        selected: field.children.map(\.name))
                })
        case .mutation:
            return .pending(PendingExecution { await self.runPending(operation, variables: variables, context: context) })
        }
    }

    /// Mutation root fields run one after another (spec §6.2.2), each waiting for its commit;
    /// the response is written once they all have.
    /// Mutations, and queries that wait: each root field in turn, then the response. A mutation's
    /// response carries `extensions.seq`, the feed head after its writes, for read-your-writes
    /// (not when it wrote no record: the notification operations change no feed).
    private func runPending(_ operation: CompiledOperation, variables: [String: JSONValue], context: ExecutionContext) async -> GraphQLResponse {
        let rootFields = operation.selections.collect(variables: variables, needsCollection: operation.rootNeedsCollection)
        var outcomes: [String: Result<Resolution, GraphQLErrorBody>] = [:]
        var wrote = false
        // Collected fields have distinct response keys.
        for field in rootFields {
            guard let (generated, definition) = rootField(field, of: operation.kind.rootType) else { continue }
            do {
                let arguments = try coerceArguments(field, definition: definition, variables: variables)
                outcomes[field.responseKey] = .success(
                    try await resolvers.resolve(generated, arguments: arguments, context: context, selected: field.children.map(\.name)))
                if operation.kind == .mutation && !generated.kind.isNotification { wrote = true }
            } catch {
                outcomes[field.responseKey] = .failure(error)
            }
        }
        return render(operation, variables: variables, fields: rootFields, seq: wrote ? resolvers.store.feedHead : nil) {
            field, _, _ throws(GraphQLErrorBody) in
            guard let outcome = outcomes[field.responseKey] else {
                throw GraphQLErrorBody(message: "Unknown field \(field.name).", code: .internalError)
            }
            return try outcome.get()
        }
    }

    /// The request's operation from the compiled-document cache (compiled on a miss); HTTP
    /// requests and WebSocket subscriptions share the cache.
    func compiledOperation(_ request: GraphQLRequest) -> Result<CompiledOperation, GraphQLFailure> {
        let compiled: Result<CompiledDocument, GraphQLFailure>
        if let cached = documents.value(for: request.query) {
            compiled = cached
        } else {
            compiled = DocumentCompiler(schema: graphQLSchema, types: types, models: models, limits: limits).compile(request.query)
                .mapError(explainingMissingNotifications)
            documents.insert(compiled, for: request.query)
        }
        return compiled.flatMap { $0.operation(named: request.operationName) }
    }

    /// Without notifications the schema has no endpoint or opt-out operations: a request naming
    /// one is told why, after GraphQL's own `Cannot query field …` message.
    private func explainingMissingNotifications(_ failure: GraphQLFailure) -> GraphQLFailure {
        guard resolvers.endpoints == nil, case .validation(var errors) = failure else { return failure }
        for i in errors.indices {
            let named = NotificationOperation.allCases.contains {
                errors[i].message.hasPrefix("Cannot query field \"\($0.rawValue)\" on type \"\($0.rootType)\".")
            }
            if named { errors[i].message += " It is there when the server runs with notifications (tidewater serve --notifications FILE)." }
        }
        return .validation(errors)
    }

    private func rootField(_ field: FieldSelection, of rootType: String) -> (GeneratedOperation, TypeTable.OutputField)? {
        guard let generated = operations[rootType]?[field.name], let definition = types.outputField(rootType, field.name) else {
            return nil
        }
        return (generated, definition)
    }

    /// Writes the response of an operation whose root fields `resolve` answers.
    private func render(
        _ operation: CompiledOperation, variables: [String: JSONValue], fields: [FieldSelection]? = nil, seq: Int64? = nil,
        resolve: (FieldSelection, GeneratedOperation, TypeTable.OutputField) throws(GraphQLErrorBody) -> Resolution
    ) -> GraphQLResponse {
        let rootType = operation.kind.rootType
        var writer = ResponseWriter(variables: variables)
        let rootFields = fields ?? operation.selections.collect(variables: variables, needsCollection: operation.rootNeedsCollection)
        var labels: [String] = []
        var merges: [JSONValue] = []
        var baseSyncs: [JSONValue] = []
        writer.out.raw("{")
        for (i, field) in rootFields.enumerated() {
            if i > 0 { writer.out.raw(",") }
            writer.out.key(field.responseKey)
            if field.name == "__typename" {
                writer.out.string(rootType)
                continue
            }
            labels.append(field.name)
            let path: [GraphQLErrorBody.PathComponent] = [.key(field.responseKey)]
            guard let (generated, fieldType) = rootField(field, of: rootType) else {
                writer.errors.append(
                    GraphQLErrorBody(message: "Unknown field \(field.name).", locations: [field.location], path: path, code: .badUserInput))
                writer.out.null()
                continue
            }
            do {
                let resolution = try resolve(field, generated, fieldType)
                _ = writer.write(fieldType.type, resolution.value, field: field, parentType: rootType, path: path)
                if let dropped = resolution.droppedByMerge {
                    merges.append(["path": [.string(field.responseKey)], "dropped": .array(dropped.map(JSONValue.string))])
                }
                if let reason = resolution.baseSyncReason {
                    baseSyncs.append(["path": [.string(field.responseKey)], "reason": .string(reason)])
                }
            } catch {
                var located = error
                located.locations = [field.location]
                located.path = path
                writer.errors.append(located)
                writer.out.null()
            }
        }
        writer.out.raw("}")

        // Updates AUTOMERGE merged into a newer record (docs/CONFLICTS.md); delta syncs answered
        // as base syncs (docs/SYNC.md).
        var extensions: [String: JSONValue] = [:]
        if !merges.isEmpty { extensions["merged"] = .array(merges) }
        if !baseSyncs.isEmpty { extensions["baseSync"] = .array(baseSyncs) }
        if let seq { extensions["seq"] = .int(seq) }
        let body = writer.responseBody(extensions: extensions.isEmpty ? nil : .object(extensions))
        let label = labels.isEmpty ? "typename" : labels.joined(separator: ",")
        return GraphQLResponse(body: body, outcome: .executed(hadErrors: !writer.errors.isEmpty), operationLabel: label)
    }

    func coerceArguments(
        _ field: FieldSelection, definition: TypeTable.OutputField, variables: [String: JSONValue]
    ) throws(GraphQLErrorBody) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for argument in definition.arguments {
            var raw: JSONValue?
            // A field has a handful of arguments: a scan costs less than a dictionary.
            switch field.arguments.first(where: { $0.name == argument.name })?.value {
            case .variable(let name)?:
                // Already coerced against the variable's type, which validation checked is
                // compatible with this argument (spec §5.8.5); unset counts as absent.
                if let value = variables[name] {
                    out[argument.name] = value
                    continue
                }
            case .constant(let value)?:
                raw = value
            case .literal(let node)?:
                raw = LiteralValue.resolve(node, variables: variables)
            case nil:
                break
            }
            if raw == nil, let defaultValue = argument.defaultValue { raw = defaultValue }
            do {
                if let coerced = try coercer.coerce(raw, as: argument.type, path: [argument.name]) {
                    out[argument.name] = coerced
                }
            } catch {
                throw GraphQLErrorBody(
                    message: "Argument \"\(argument.name)\" has invalid value at \"\(error.path.joined(separator: "."))\": \(error.message)",
                    code: .badUserInput)
            }
        }
        return out
    }

    static func requestError(_ failure: GraphQLFailure, label: String) -> GraphQLResponse {
        GraphQLResponse(body: errorBody(failure.errors), outcome: .requestError, operationLabel: label)
    }

    static func errorBody(_ errors: [GraphQLErrorBody]) -> [UInt8] {
        var w = JSONWriter()
        w.raw("{")
        w.key("errors")
        writeErrors(errors, to: &w)
        w.raw("}")
        return w.bytes
    }

    static func writeErrors(_ errors: [GraphQLErrorBody], to w: inout JSONWriter) {
        w.raw("[")
        for (i, error) in errors.enumerated() {
            if i > 0 { w.raw(",") }
            error.write(to: &w)
        }
        w.raw("]")
    }
}
