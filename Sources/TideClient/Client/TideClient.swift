import Foundation
import GRDB
import Logging
import Synchronization
import TideModel

/// The offline-first client (ARCHITECTURE §9.1): a local copy of the signed-in user's records
/// that the app reads and writes at once, an outbox that sends the writes when the server can be
/// reached, and a sync engine that keeps the copy current.
///
/// ```swift
/// let client = TideClient(configuration: .init(server: serverURL, storeDirectory: storeURL))
/// if try await client.restoreSession() == nil {
///     try await client.signIn(username: "alice", password: password)
/// }
/// let note = try await client.save("Note", ["title": "Buy milk", "priority": 2])   // local, queued
/// client.startLiveSync()                                   // sends, pulls, subscribes; reconnects
/// for try await notes in client.observeQuery("Note", filter: ["done": ["ne": true]]) { show(notes) }
/// ```
///
/// One user at a time: signing in as another user closes the first user's store, whose data is
/// then unreachable through this client (each user has their own database file).
public final class TideClient: Sendable {
    public struct User: Sendable, Hashable {
        public let id: String
        public let username: String
    }

    /// What a ``syncNow(onProgress:)`` did.
    public struct SyncSummary: Sendable, Hashable {
        /// Outbox entries the server took.
        public var sent = 0
        /// Entries parked during this sync.
        public var parked = 0
        /// Server records applied locally.
        public var received = 0
        /// Conflicts resolved.
        public var conflicts = 0
        /// Entries still waiting for a retry (a server that kept failing).
        public var remaining = 0
        /// Models the user may not read at all, with the server's reason.
        public var skipped: [String: String] = [:]
        /// The link was off: nothing was sent or fetched.
        public var offline = false
        /// Another process (a live client of the same store) was sending the outbox.
        public var outboxBusy = false
    }

    /// Progress of a ``syncNow(onProgress:)``.
    public enum SyncProgress: Sendable, Hashable {
        case sending(sent: Int)
        case pulling(model: String, records: Int)
    }

    /// The outbox and the local data at a glance (`tide status`).
    public struct Status: Sendable, Hashable {
        public struct Model: Sendable, Hashable {
            public var name: String
            public var records: Int
            public var lastSync: Int64?
        }

        public var user: User
        public var pending: Int
        public var parked: Int
        public var models: [Model]
    }

    public let configuration: Configuration

    private struct State {
        var space: UserSpace?
        var engine: (SyncEngine, Task<Void, Never>)?
        var linkUp = true
    }

    private let state = Mutex(State())
    private let http: HTTPTransport

    public init(configuration: Configuration) {
        self.configuration = configuration
        http = HTTPTransport(baseURL: configuration.server)
    }

    // MARK: - Accounts

    /// Creates an account; returns the new user's id. Does not sign in.
    public func signUp(username: String, password: String, email: String? = nil) async throws(TideClientError) -> String {
        try await AuthAPI(http: http).signUp(username: username, password: password, email: email)
    }

    /// Signs in (online), keeps the session and opens this user's local store. A user signed in
    /// before is signed out locally first (their store closed, never deleted).
    @discardableResult
    public func signIn(username: String, password: String) async throws(TideClientError) -> User {
        let tokens = try await AuthAPI(http: http).logIn(username: username, password: password)
        let session = try Session(server: configuration.server.absoluteString, tokens: tokens, now: Date().timeIntervalSince1970)
        let schema = try await loadSchema(refresh: true)
        await closeSpace()
        do {
            try configuration.resolvedSessionStore.save(session)
        } catch {
            throw Self.storeError(error)
        }
        return try open(session: session, schema: schema)
    }

    /// Reopens the stored session's local store, offline if need be (the schema comes from the
    /// cache of an earlier sign-in, or from the server when `refreshSchema`). Nil when no one is
    /// signed in.
    @discardableResult
    public func restoreSession(refreshSchema: Bool = false) async throws(TideClientError) -> User? {
        if let user = currentUser { return user }
        let stored: Session?
        do {
            stored = try configuration.resolvedSessionStore.load()
        } catch {
            throw Self.storeError(error)
        }
        guard let session = stored else { return nil }
        guard session.server == configuration.server.absoluteString else {
            throw .invalidArgument("the stored session is for \(session.server), not \(configuration.server.absoluteString)")
        }
        return try open(session: session, schema: try await loadSchema(refresh: refreshSchema))
    }

    /// Signs out: stops live sync, revokes the refresh token on the server (when it can be
    /// reached), forgets the session and closes the local store; `wipe` deletes the store too.
    /// Returns whether the server revoked the session.
    @discardableResult
    public func signOut(wipe: Bool = false) async throws(TideClientError) -> Bool {
        let store = configuration.resolvedSessionStore
        let session: Session?
        do {
            session = try store.load()
        } catch {
            session = nil
        }
        let userID = currentUser?.id ?? session?.userID
        await closeSpace()
        var revoked = false
        if let session {
            do {
                try await AuthAPI(http: http).logOut(session.refreshToken)
                revoked = true
            } catch {
                configuration.logger.warning("sign-out: the session could not be revoked on the server", metadata: ["error": "\(error)"])
            }
        }
        do {
            try store.clear()
        } catch {
            throw Self.storeError(error)
        }
        if wipe, let userID {
            let directory = (configuration.storePath(userID: userID) as NSString).deletingLastPathComponent
            do {
                if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
            } catch {
                throw .localStore("cannot delete \(directory): \(error.localizedDescription)")
            }
        }
        return revoked
    }

    public var currentUser: User? { state.withLock { $0.space?.user } }

    /// The schema in use (nil when signed out).
    public var schema: ClientSchema? { state.withLock { $0.space?.schema } }

    // MARK: - Records

    /// Creates or updates a record locally (optimistic) and queues the write. With no `id` in
    /// `fields` (or a new one) it is a create with a generated id; with a known id only the
    /// given fields change. Throws `invalidRecord`/`unknownModel` and writes nothing when the
    /// record does not fit its model.
    @discardableResult
    public func save(_ model: String, _ fields: [String: JSONValue]) async throws(TideClientError) -> ClientRecord {
        let space = try space()
        let id: String?
        switch fields["id"] {
        case nil, .null?: id = nil
        case .string(let given)?: id = given
        case .int(let number)?: id = String(number)
        case let other?: throw .invalidRecord("\(model).id must be a string, got \(other.jsonString)")
        }
        let record = try await space.store.save(model: model, id: id, fields: fields)
        space.outboxWakeup.signal()
        return record
    }

    /// Deletes a record locally and queues the delete.
    public func delete(_ model: String, id: String) async throws(TideClientError) {
        let space = try space()
        try await space.store.delete(model: model, id: id)
        space.outboxWakeup.signal()
    }

    public func get(_ model: String, id: String) async throws(TideClientError) -> ClientRecord? {
        try await space().store.get(model: model, id: id)
    }

    /// Local records matching an Amplify filter input (the server's semantics), sorted, limited.
    public func query(
        _ model: String, filter: JSONValue? = nil, sort: [SortKey] = [], limit: Int? = nil
    ) async throws(TideClientError) -> [ClientRecord] {
        let space = try space()
        return try await space.store.query(try localQuery(space, model, filter: filter, sort: sort, limit: limit))
    }

    /// The query's results now and after every local change that alters them (local writes and
    /// synced changes alike).
    public func observeQuery(
        _ model: String, filter: JSONValue? = nil, sort: [SortKey] = [], limit: Int? = nil
    ) -> AsyncThrowingStream<[ClientRecord], any Error> {
        observe { space in
            let query = try self.localQuery(space, model, filter: filter, sort: sort, limit: limit)
            return { db in try query.run(db) }
        }
    }

    /// One record now and after every change to it (nil while it does not exist).
    public func observe(_ model: String, id: String) -> AsyncThrowingStream<ClientRecord?, any Error> {
        observe { space in
            let query = try LocalQuery(table: try space.store.table(model), filter: nil, sort: [], limit: 1, id: id)
            return { db in try query.run(db).first }
        }
    }

    private func observe<Value: Sendable & Equatable>(
        _ make: (UserSpace) throws -> @Sendable (Database) throws -> Value
    ) -> AsyncThrowingStream<Value, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Value, any Error>.makeStream()
        do {
            let space = try space()
            let fetch = try make(space)
            let observation = ValueObservation.tracking(fetch).removeDuplicates()
            let cancellable = observation.start(
                in: space.store.pool, scheduling: .async(onQueue: .global()),
                onError: { continuation.finish(throwing: $0) }, onChange: { continuation.yield($0) })
            continuation.onTermination = { _ in cancellable.cancel() }
        } catch {
            continuation.finish(throwing: error)
        }
        return stream
    }

    private func localQuery(
        _ space: UserSpace, _ model: String, filter: JSONValue?, sort: [SortKey], limit: Int?
    ) throws(TideClientError) -> LocalQuery {
        let table = try space.store.table(model)
        let checked = try filter.map { value throws(TideClientError) in try QueryFilter(value, model: model, schema: space.schema) }
        return try LocalQuery(table: table, filter: checked, sort: sort, limit: limit)
    }

    // MARK: - Sync

    /// Keeps the user's data live: connects, subscribes, pulls, sends the outbox as it fills,
    /// reconnects with backoff. Status on ``statusUpdates``; applied changes on ``changes``.
    public func startLiveSync() throws(TideClientError) {
        let space = try space()
        state.withLock { state in
            guard state.engine == nil else { return }
            let engine = SyncEngine(space: space)
            let linkUp = state.linkUp
            state.engine = (engine, Task { await engine.run(linkUp: linkUp) })
        }
    }

    public func stopLiveSync() async {
        let running = state.withLock { state in
            defer { state.engine = nil }
            return state.engine
        }
        guard let (engine, task) = running else { return }
        engine.post(.stop)
        task.cancel()
        await task.value
    }

    /// Whether the client may use the network (the app's offline switch). Off: live sync
    /// disconnects and ``syncNow(onProgress:)`` does nothing; on: live sync reconnects at once.
    public func setLinkEnabled(_ enabled: Bool) {
        let engine = state.withLock { state in
            state.linkUp = enabled
            return state.engine?.0
        }
        engine?.post(enabled ? .linkUp : .linkDown)
    }

    public var isLinkEnabled: Bool { state.withLock { $0.linkUp } }

    /// One round: sends the outbox (retrying passing failures for `syncRetryWindow`), then pulls
    /// every synced model's changes.
    public func syncNow(onProgress: @escaping @Sendable (SyncProgress) -> Void = { _ in }) async throws(TideClientError) -> SyncSummary {
        let space = try space()
        var summary = SyncSummary()
        guard isLinkEnabled else {
            summary.offline = true
            return summary
        }
        let report = await space.sender.drain(until: .now + configuration.syncRetryWindow) { report in
            onProgress(.sending(sent: report.sent))
        }
        if let reason = report.unauthenticated { throw .authenticationFailed(reason) }
        if let reason = report.unreachable, report.sent == 0 { throw .serverUnreachable(reason) }
        summary.sent = report.sent
        summary.parked = report.parked
        summary.conflicts = report.conflicts
        summary.remaining = report.remaining
        summary.outboxBusy = report.lockedByOtherProcess
        for model in space.syncedModels {
            let name = model.name
            onProgress(.pulling(model: name, records: 0))
            let received = Mutex(0)
            do {
                let result = try await space.modelSync(model, reportChanges: space.changes.hasListeners).run(
                    onPage: { count in
                        let total = received.withLock { $0 += count; return $0 }
                        onProgress(.pulling(model: name, records: total))
                    },
                    onChanges: { changes in for change in changes { space.changes.yield(change) } })
                summary.received += result.received
            } catch {
                switch error {
                case .notReadable(_, let reason): summary.skipped[name] = reason
                case .transport(let transport): throw transport.clientError
                case .server(_, let failure): throw .server(code: failure.code ?? "ERROR", message: failure.message)
                case .store(let error): throw error
                }
            }
        }
        space.decryptionFailures?.flush()
        return summary
    }

    /// The live link's status, starting with the current one.
    public var statusUpdates: AsyncStream<SyncStatus> {
        guard let space = state.withLock({ $0.space }) else { return AsyncStream { $0.finish() } }
        return space.status.stream()
    }

    /// Every change the server's data makes locally (sync pages and events), as it is applied.
    /// Changes are described only while someone listens (it costs a lookup per record), so
    /// listen before starting a sync whose changes you want.
    public var changes: AsyncStream<AppliedChange> {
        guard let space = state.withLock({ $0.space }) else { return AsyncStream { $0.finish() } }
        return space.changes.stream()
    }

    // MARK: - Outbox and conflicts

    /// Queued writes, pending and parked, in order.
    public func outbox() async throws(TideClientError) -> [OutboxEntry] {
        try await space().store.outboxEntries()
    }

    /// Sends a parked entry again.
    public func retryOutboxEntry(_ id: Int64) async throws(TideClientError) {
        let space = try space()
        try await space.store.retryEntry(id)
        space.outboxWakeup.signal()
    }

    /// Drops a parked entry (and the writes queued behind it for the same record): the record
    /// returns to the server's copy.
    public func discardOutboxEntry(_ id: Int64) async throws(TideClientError) {
        try await space().store.discardEntry(id)
    }

    /// Every conflict resolution, oldest first.
    public func conflicts() async throws(TideClientError) -> [ConflictRecord] {
        try await space().store.conflictRecords()
    }

    public func status() async throws(TideClientError) -> Status {
        let space = try space()
        let counts = try await space.store.outboxCounts()
        let models = try await space.store.modelSummaries().map { Status.Model(name: $0.model, records: $0.records, lastSync: $0.lastSync) }
        return Status(user: space.user, pending: counts.pending, parked: counts.parked, models: models)
    }

    // MARK: - Internals

    func space() throws(TideClientError) -> UserSpace {
        guard let space = state.withLock({ $0.space }) else { throw .notSignedIn }
        return space
    }

    private func open(session: Session, schema: ClientSchema) throws(TideClientError) -> User {
        let space = try UserSpace(configuration: configuration, session: session, schema: schema)
        state.withLock { $0.space = space }
        return space.user
    }

    /// Stops live sync, wipes the encryption keys from memory and closes the current user's store.
    private func closeSpace() async {
        await stopLiveSync()
        lockEncryption()
        let space = state.withLock { state in
            defer { state.space = nil }
            return state.space
        }
        space?.close()
    }

    /// The schema: embedded, or the server's (`GET /schema`) cached for offline starts.
    private func loadSchema(refresh: Bool) async throws(TideClientError) -> ClientSchema {
        if case .sdl(let text) = configuration.schema { return try ClientSchema(sdl: text, file: "<embedded schema>") }
        let cache = configuration.cachedSchemaPath
        let cached = FileManager.default.contents(atPath: cache).map { String(decoding: $0, as: UTF8.self) }
        if !refresh, let cached { return try ClientSchema(sdl: cached, file: cache) }
        do throws(TideClientError) {
            let reply = try await Throttle.retrying { () throws(TransportError) in try await http.exchange(.GET, "schema") }
            guard reply.status == 200 else {
                throw TideClientError.schemaUnavailable("GET /schema answered \(reply.status)")
            }
            let text = reply.text
            let schema = try ClientSchema(sdl: text, file: "\(configuration.server.absoluteString)/schema")
            if text != cached {
                do { try PrivateFile.write(Array(text.utf8), to: cache) } catch { throw Self.storeError(error) }
            }
            return schema
        } catch .serverUnreachable(let why) {
            guard let cached else { throw .serverUnreachable(why) }
            return try ClientSchema(sdl: cached, file: cache)
        }
    }

    private static func storeError(_ error: any Error) -> TideClientError {
        error as? TideClientError ?? .localStore("\(error)")
    }
}
