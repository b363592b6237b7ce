import TideModel

/// Why a model could not be synced.
enum SyncFailure: Error, Sendable, CustomStringConvertible {
    /// The user may not read this model at all (`FORBIDDEN`/`UNAUTHORIZED` on `syncXs`).
    case notReadable(model: String, reason: String)
    case transport(TransportError)
    case server(model: String, GraphQLFailure)
    case store(TideClientError)

    var description: String {
        switch self {
        case .notReadable(let model, let reason): "\(model) is not readable: \(reason)"
        case .transport(let error): error.description
        case .server(let model, let error): "sync of \(model) failed: \(error)"
        case .store(let error): error.description
        }
    }
}

/// Pulls one model's changes (ARCHITECTURE §4, docs/SYNC.md): `syncXs` pages from the stored
/// `lastSync`, each applied in one transaction while the next page is already on its way; a
/// base sync (no `lastSync`, a changed predicate, or the server's `baseSync` flag) removes the
/// local records the server no longer returns. The page's `startedAt` becomes the next
/// `lastSync` once the last page is applied.
struct ModelSync: Sendable {
    struct Result: Sendable {
        /// Records applied (new or newer than the local copy, removals included).
        var received = 0
        /// Records removed because a base sync no longer returned them.
        var swept = 0
        var startedAt: Int64
        var wasBaseSync: Bool
    }

    let description: ModelDescription
    let store: LocalStore
    let remote: Remote
    let transform: TransformPipeline
    let predicate: QueryFilter?
    let pageSize: Int
    /// Collects the changes for `tide watch` (costs a lookup per record).
    let reportChanges: Bool

    /// A page as it arrives: the cursor at once, the items still JSON text.
    private struct Arrival: Sendable {
        var items: ArraySlice<UInt8>?
        var nextToken: String?
        var startedAt: Int64
        var baseSyncFlagged: Bool
    }

    private struct Page: Sendable {
        var records: [Record]
        var startedAt: Int64
        var baseSyncFlagged: Bool
    }

    func run(
        onPage: @Sendable (Int) -> Void = { _ in }, onChanges: @Sendable ([AppliedChange]) -> Void = { _ in }
    ) async throws(SyncFailure) -> Result {
        let model = description.name
        let predicateKey = predicate?.input.jsonString ?? ""
        let state: LocalStore.ModelSyncState?
        do { state = try await store.syncState(model: model) } catch { throw .store(error) }
        // A cursor taken under another predicate says nothing about this one.
        let lastSync = state?.predicate == predicateKey ? state?.lastSync : nil
        var isBase = lastSync == nil
        var serverFilter: JSONValue = .null
        if isBase, let predicate {
            do {
                serverFilter = FilterInput.encode(try transform.serverFilter(predicate.expression, model: description.model))
            } catch {
                throw .store(.invalidQuery("the sync predicate of \(model) cannot be sent: \(error)"))
            }
        }
        var tracking = false
        var result = Result(startedAt: 0, wasBaseSync: isBase)
        if isBase { try await startTracking(&tracking) }

        // Three pages at once, each at its own stage: page n+1 asked for as soon as page n's
        // cursor is read, page n's items decoded meanwhile, page n-1 written to the local store.
        var arriving: Task<Arrival, any Error>? = fetch(lastSync: lastSync, filter: serverFilter, token: nil)
        var decoding: Task<Page, any Error>?
        defer {
            arriving?.cancel()
            decoding?.cancel()
        }
        while arriving != nil || decoding != nil {
            var decoded: Task<Page, any Error>?
            if let pending = arriving {
                let arrival = try await Self.value(of: pending)
                arriving = arrival.nextToken.map { fetch(lastSync: lastSync, filter: serverFilter, token: $0) }
                decoded = decode(arrival)
            }
            if let pending = decoding {
                let page = try await Self.value(of: pending)
                if page.baseSyncFlagged, !isBase {
                    isBase = true
                    result.wasBaseSync = true
                    try await startTracking(&tracking)
                }
                do {
                    let applied = try await store.applyServerRecords(
                        model: model, page.records, predicate: predicate?.expression, report: reportChanges, trackSeen: tracking)
                    result.received += applied.count
                    if reportChanges, !applied.changes.isEmpty { onChanges(applied.changes) }
                } catch {
                    throw .store(error)
                }
                result.startedAt = page.startedAt
                onPage(page.records.count)
            }
            decoding = decoded
        }
        do {
            if tracking { result.swept = try await store.sweepUnseen(model: model) }
            try await store.setSyncState(model: model, .init(lastSync: result.startedAt, predicate: predicateKey))
            try await store.purgeTombstones(model: model)
        } catch {
            throw .store(error)
        }
        return result
    }

    private static func value<T: Sendable>(of task: Task<T, any Error>) async throws(SyncFailure) -> T {
        do {
            return try await task.value
        } catch let error as SyncFailure {
            throw error
        } catch {
            throw .transport(.unreachable("\(error)"))
        }
    }

    /// A base sync of a model that already holds records notes what the server returns, so the
    /// rest can be removed at the end. (A first sync into an empty table needs nothing of that.)
    private func startTracking(_ tracking: inout Bool) async throws(SyncFailure) {
        do {
            guard try await store.hasSyncedRecords(model: description.name) else { return }
            try await store.beginTrackingSeen()
            tracking = true
        } catch {
            throw .store(error)
        }
    }

    private func fetch(lastSync: Int64?, filter: JSONValue, token: String?) -> Task<Arrival, any Error> {
        let description = self.description
        let remote = self.remote
        let limit = pageSize
        return Task {
            guard let document = description.documents.sync, let field = description.operations.sync else {
                throw SyncFailure.notReadable(model: description.name, reason: "the schema generates no sync query")
            }
            var variables: [String: JSONValue] = ["limit": .int(Int64(limit))]
            variables["lastSync"] = lastSync.map(JSONValue.int) ?? .null
            variables["nextToken"] = token.map(JSONValue.string) ?? .null
            variables["filter"] = filter
            let response: GraphQLResponse
            do throws(TransportError) {
                response = try await remote.execute(document, variables, deferring: "items")
            } catch {
                throw SyncFailure.transport(error)
            }
            guard case .object(let connection)? = response.data?[field] else {
                let error = response.firstError ?? GraphQLFailure(message: "no \(field) in the answer", code: nil)
                if error.code == "FORBIDDEN" || error.code == "UNAUTHORIZED" {
                    throw SyncFailure.notReadable(model: description.name, reason: error.message)
                }
                throw SyncFailure.server(model: description.name, error)
            }
            let flagged = response.extensions?["baseSync"]?.arrayValue?.contains { $0["path"]?[0]?.stringValue == field } ?? false
            return Arrival(
                items: response.deferred.first, nextToken: connection["nextToken"]?.stringValue,
                startedAt: connection["startedAt"]?.intValue ?? 0, baseSyncFlagged: flagged)
        }
    }

    private func decode(_ arrival: Arrival) -> Task<Page, any Error> {
        let description = self.description
        let transform = self.transform
        return Task {
            var records: [Record] = []
            if let text = arrival.items {
                let items: JSONValue
                do {
                    items = try JSONParser.parse(text)
                } catch {
                    throw SyncFailure.server(
                        model: description.name, GraphQLFailure(message: "the page's items are not JSON: \(error)", code: nil))
                }
                // Always a list (only lists are deferred).
                if case .array(var list) = consume items {
                    records.reserveCapacity(list.count)
                    for index in list.indices {
                        // Taken out of the list, an item's members are the record's alone: it
                        // keeps them rather than copying them.
                        let item = list[index]
                        list[index] = .null
                        if let record = description.record(fromWire: item) { records.append(transform.incoming(record, model: description.model)) }
                    }
                }
            }
            return Page(records: records, startedAt: arrival.startedAt, baseSyncFlagged: arrival.baseSyncFlagged)
        }
    }
}
