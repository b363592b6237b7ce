import Foundation
import TideModel

/// Everything that belongs to the signed-in user on one server: the local store, the tokens,
/// the outbox sender and what listens to them. Built at sign-in, closed at sign-out; nothing of
/// it outlives the session, so another user's data is never reachable through it.
final class UserSpace: Sendable {
    let configuration: TideClient.Configuration
    let user: TideClient.User
    let schema: ClientSchema
    let store: LocalStore
    let tokens: TokenProvider
    let remote: Remote
    let transform: TransformPipeline
    let sender: OutboxSender
    /// With a ``FieldEncryptor``: where the values that did not decrypt are noted.
    let decryptionFailures: DecryptionFailureLog?
    let predicates: [String: QueryFilter]
    /// The models synced and subscribed to, in schema order.
    let syncedModels: [ModelDescription]
    let changes = Broadcaster<AppliedChange>()
    let status = Broadcaster<SyncStatus>(replayLatest: true, initial: .offline)
    /// Signalled by every local write: the live sender looks at the outbox again.
    let outboxWakeup = Wakeup()

    init(configuration: TideClient.Configuration, session: Session, schema: ClientSchema) throws(TideClientError) {
        self.configuration = configuration
        self.schema = schema
        user = TideClient.User(id: session.userID, username: session.username)
        var predicates: [String: QueryFilter] = [:]
        for (model, input) in configuration.syncPredicates {
            predicates[model] = try QueryFilter(input, model: model, schema: schema)
        }
        self.predicates = predicates
        var synced: [ModelDescription] = []
        for name in configuration.models ?? schema.syncedModelNames {
            let description = try schema.model(name)
            if description.operations.sync != nil { synced.append(description) }
        }
        syncedModels = synced
        let store = try LocalStore(
            path: configuration.storePath(userID: session.userID), schema: schema, localIndexes: configuration.localIndexes,
            writesEncryptedFields: configuration.fieldTransform != nil)
        self.store = store
        if let encryptor = configuration.fieldTransform as? FieldEncryptor {
            try store.prepareDecryptionFailures()
            let log = DecryptionFailureLog(store: store)
            encryptor.setFailureSink { failure in log.record(failure) }
            decryptionFailures = log
        } else {
            decryptionFailures = nil
        }
        let http = HTTPTransport(baseURL: configuration.server)
        tokens = TokenProvider(
            session: session, store: configuration.resolvedSessionStore, auth: AuthAPI(http: http),
            now: { Date().timeIntervalSince1970 })
        remote = Remote(graphql: GraphQLHTTP(http: http), tokens: tokens)
        transform = TransformPipeline(transform: configuration.fieldTransform, schema: schema.app)
        var resolvers: [String: ConflictResolver] = [:]
        for description in schema.models {
            resolvers[description.name] = ConflictResolver(
                strategy: configuration.conflictStrategies[description.name] ?? .default(for: description.model),
                maxRetries: configuration.maxConflictRetries, description: description)
        }
        sender = OutboxSender(
            store: store, remote: remote, resolvers: resolvers, transform: transform, concurrency: configuration.sendConcurrency)
    }

    func modelSync(_ description: ModelDescription, reportChanges: Bool) -> ModelSync {
        ModelSync(
            description: description, store: store, remote: remote, transform: transform, predicate: predicates[description.name],
            pageSize: configuration.syncPageSize, reportChanges: reportChanges)
    }

    func close() {
        (configuration.fieldTransform as? FieldEncryptor)?.setFailureSink(nil)
        decryptionFailures?.flush()
        changes.finish()
        status.finish()
        store.close()
    }
}
