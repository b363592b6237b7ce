import Foundation
import Synchronization
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// Sends the outbox (ARCHITECTURE §9.1): the first entry of each record, records side by side
/// — up to `concurrency` requests at once, each carrying up to ``writesPerRequest`` writes of
/// one model and kind as aliased root fields (the server commits them one after another, each
/// answered on its own) — and each answer applied as it comes, in batches of one transaction.
///
/// It cannot wedge: a transient failure puts the entry back with a jittered backoff (honouring
/// `Retry-After`); a permanent one parks it with its reason, and only the entries behind it for
/// the same record wait; a conflict goes to the model's ``ConflictResolver``.
///
/// One process sends a store's outbox at a time (an `flock` beside the database), so that
/// entries another live process has in flight are never sent twice; the lock dies with its
/// process, and the next sender puts entries left in flight back to pending.
final class OutboxSender: Sendable {
    struct Report: Sendable, Hashable {
        /// Entries the server took (or that were settled: a delete of a deleted record).
        var sent = 0
        var parked = 0
        /// Conflicts resolved (each also recorded in the store).
        var conflicts = 0
        /// Entries still waiting (in backoff) when the drain ended.
        var remaining = 0
        /// Set when the server could not be reached: the drain stopped.
        var unreachable: String?
        /// Set when the credentials were refused and could not be refreshed: the drain stopped.
        var unauthenticated: String?
        /// Another process holds the send lock (a `tide watch` of the same profile).
        var lockedByOtherProcess = false
    }

    private let store: LocalStore
    private let remote: Remote
    private let resolvers: [String: ConflictResolver]
    private let transform: TransformPipeline
    private let concurrency: Int
    private let lock: SendLock
    /// Writes sent in one request. Draining 10,000 offline creates with 16 requests in flight
    /// (tide-client-bench, release, two cores shared with the server): one a request
    /// 2,450 writes/s, 43 % of the server's createTask rate at 16 connections; eight a request
    /// 4,600 writes/s, 78 %. The server's per-request work (HTTP, the document, the answer) is
    /// shared by eight writes, and so is the client's.
    static let writesPerRequest = 8

    init(store: LocalStore, remote: Remote, resolvers: [String: ConflictResolver], transform: TransformPipeline, concurrency: Int) {
        self.store = store
        self.remote = remote
        self.resolvers = resolvers
        self.transform = transform
        self.concurrency = max(1, concurrency)
        lock = SendLock(path: store.path + ".send.lock")
    }

    /// Sends every entry that is due. With `deadline`, entries in backoff are waited for until
    /// then; without, the drain ends when nothing is due now. Stops early when the server is
    /// unreachable or the credentials are refused.
    func drain(until deadline: ContinuousClock.Instant? = nil, onProgress: (@Sendable (Report) -> Void)? = nil) async -> Report {
        var report = Report()
        // Another process sending this outbox finishes its drain soon; a live one holds the
        // lock only while entries are due.
        while !lock.acquire() {
            guard let deadline, ContinuousClock.now + .milliseconds(100) < deadline else {
                report.lockedByOtherProcess = true
                return report
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        defer { lock.release() }
        try? await store.recoverInFlight()
        let results = LockedBox<[[SentEntry]]>([])
        let (wakeups, wake) = AsyncStream<Void>.makeStream()
        await withTaskGroup(of: Void.self) { group in
            var busy = Set<RecordKey>()
            var requests = 0
            var wakeIterator = wakeups.makeAsyncIterator()
            var stopping = false
            while true {
                if !stopping, !Task.isCancelled, requests < concurrency {
                    let limit = (concurrency - requests) * Self.writesPerRequest
                    let claimed = (try? await store.claimDue(now: LocalStore.nowMillis(), limit: limit, busy: busy)) ?? []
                    for batch in Self.requests(claimed) {
                        busy.formUnion(batch.map(RecordKey.init))
                        requests += 1
                        group.addTask {
                            let sent = await self.send(batch)
                            results.withLock { $0.append(sent) }
                            wake.yield()
                        }
                    }
                }
                if requests == 0 {
                    guard !stopping, !Task.isCancelled, let deadline, let due = try? await store.nextDue() else { break }
                    let wait = Double(max(0, due - LocalStore.nowMillis())) / 1000
                    guard ContinuousClock.now + .seconds(wait) < deadline else { break }
                    try? await Task.sleep(for: .seconds(wait))
                    continue
                }
                _ = await wakeIterator.next()
                let answered = results.withLock { taken in
                    defer { taken = [] }
                    return taken
                }
                guard !answered.isEmpty else { continue }
                requests -= answered.count
                let batch = answered.flatMap { $0 }
                do {
                    try await store.applyOutcomes(batch)
                } catch {
                    // The store failed (disk full): stop; the entries stay in flight and the next
                    // sender puts them back.
                    stopping = true
                }
                for item in batch {
                    busy.remove(RecordKey(item.entry))
                    Self.tally(item, into: &report)
                }
                if report.unreachable != nil || report.unauthenticated != nil { stopping = true }
                onProgress?(report)
            }
        }
        report.remaining = (try? await store.outboxCounts().pending) ?? 0
        return report
    }

    /// Splits claimed entries (in outbox order) into requests of one model and kind each, at
    /// most ``writesPerRequest`` apiece, so the server's compiled-document cache holds the few
    /// documents there are. Every claimed entry is sent: a claim spanning many models and kinds
    /// may open a few more requests than `concurrency`.
    static func requests(_ entries: [OutboxEntry]) -> [[OutboxEntry]] {
        var groups: [[OutboxEntry]] = []
        var open: [String: Int] = [:]
        for entry in entries {
            let kind = "\(entry.model)/\(entry.operation.rawValue)"
            if let index = open[kind], groups[index].count < writesPerRequest {
                groups[index].append(entry)
            } else {
                open[kind] = groups.count
                groups.append([entry])
            }
        }
        return groups
    }

    private static func tally(_ item: SentEntry, into report: inout Report) {
        if item.resolution != nil { report.conflicts += 1 }
        switch item.outcome {
        case .acknowledged, .settledDeleted, .dropped: report.sent += 1
        case .parked: report.parked += 1
        case .transient(let reason, _, let unreachable):
            if unreachable { report.unreachable = reason }
        case .unauthenticated: report.unauthenticated = "the server refused the credentials and they could not be renewed"
        case .resend: break
        }
    }

    // MARK: - One request

    /// A write ready to go: its input and what reading the answer needs.
    private struct Prepared {
        var entry: OutboxEntry
        var description: ModelDescription
        var resolver: ConflictResolver
        var input: [String: JSONValue]
    }

    /// Sends entries of one model and kind in one request and reads each one's answer. A
    /// request refused as a whole (no `data`: a write whose input does not coerce) is sent
    /// again one write a request, so that a bad write parks only itself.
    private func send(_ entries: [OutboxEntry]) async -> [SentEntry] {
        var sent: [SentEntry] = []
        var ready: [Prepared] = []
        for entry in entries {
            switch prepare(entry) {
            case .ready(let write): ready.append(write)
            case .refused(let refused): sent.append(refused)
            }
        }
        guard let first = ready.first else { return sent }
        guard let document = first.description.documents.writes(first.entry.operation, count: ready.count) else {
            return sent + ready.map { park($0.entry, "the schema has no \($0.entry.operation.rawValue) mutation for \($0.entry.model)") }
        }
        var variables: [String: JSONValue] = [:]
        for (i, write) in ready.enumerated() { variables["w\(i)"] = .object(write.input) }
        let response: GraphQLResponse
        do {
            response = try await remote.execute(document, variables)
        } catch {
            return sent + ready.map { SentEntry(entry: $0.entry, outcome: Self.outcome(of: error), resolution: nil) }
        }
        if ready.count > 1, response.data?.objectValue == nil {
            for write in ready { sent += await send([write.entry]) }
            return sent
        }
        for (i, write) in ready.enumerated() {
            sent.append(await settle(write, answer: response, key: "w\(i)"))
        }
        return sent
    }

    private enum Preparation {
        case ready(Prepared)
        /// Parked before sending.
        case refused(SentEntry)
    }

    private func prepare(_ entry: OutboxEntry) -> Preparation {
        guard let description = try? store.schema.model(entry.model), let resolver = resolvers[entry.model] else {
            return .refused(park(entry, "unknown model \(entry.model)"))
        }
        var input: [String: JSONValue]
        do {
            switch entry.operation {
            case .create:
                input = try transform.outgoing(entry.fields, model: description.model, recordID: entry.recordID)
            case .update:
                input = try transform.outgoing(entry.fields, model: description.model, recordID: entry.recordID)
                input[Record.MetaField.version] = .int(entry.baseVersion ?? 0)
            case .delete:
                input = [Record.MetaField.version: .int(entry.baseVersion ?? 0)]
            }
        } catch {
            return .refused(park(entry, "the field transform refused the write: \(error)"))
        }
        input[Record.MetaField.id] = .string(entry.recordID)
        return .ready(Prepared(entry: entry, description: description, resolver: resolver, input: input))
    }

    /// Reads one write's answer: the root field under `key` in `answer`.
    private func settle(_ write: Prepared, answer response: GraphQLResponse, key: String) async -> SentEntry {
        let (entry, description, resolver) = (write.entry, write.description, write.resolver)
        let model = description.model
        if let value = response.data?[key], case .object = value, let record = description.record(fromWire: value) {
            return SentEntry(
                entry: entry, outcome: .acknowledged(transform.incoming(record, model: model)),
                resolution: Self.serverMerge(response, key: key, version: record.version))
        }
        guard let error = response.error(at: key) else { return park(entry, "the server answered without the record") }
        switch error.code {
        case "ConflictUnhandled":
            guard let data = error.data, let server = description.record(fromWire: data) else {
                return park(entry, "conflict with a record you may no longer read")
            }
            return await resolve(entry, server: transform.incoming(server, model: model), resolver: resolver)
        case "CONDITION_FAILED" where entry.operation == .create:
            // A create without a condition fails only when the id is taken.
            return await settleTakenID(entry, description: description, resolver: resolver)
        case "NOT_FOUND":
            return await resolve(entry, server: nil, resolver: resolver)
        case "RATE_LIMITED", "INTERNAL", "INTERNAL_SERVER_ERROR":
            return SentEntry(entry: entry, outcome: .transient(reason: error.description, retryAfter: nil, unreachable: false), resolution: nil)
        default:
            return park(entry, error.description)
        }
    }

    /// A create answered "the id is taken": the server's record is fetched. When this entry may
    /// have been sent before and the record holds what it sets, the record is ours (the earlier
    /// answer was lost) and the write is acknowledged; otherwise someone else holds the id (an
    /// earlier attempt may just as well have failed before it reached the server): a conflict.
    private func settleTakenID(_ entry: OutboxEntry, description: ModelDescription, resolver: ConflictResolver) async -> SentEntry {
        guard let document = description.documents.get, let field = description.operations.get else {
            return park(entry, "the id \(entry.recordID) is taken")
        }
        let response: GraphQLResponse
        do {
            response = try await remote.execute(document, ["id": .string(entry.recordID)])
        } catch {
            return SentEntry(entry: entry, outcome: Self.outcome(of: error), resolution: nil)
        }
        if let value = response.data?[field], case .object = value, let record = description.record(fromWire: value) {
            let server = transform.incoming(record, model: description.model)
            if entry.attempts > 1, ConflictResolver.holds(server, entry.fields) {
                return SentEntry(entry: entry, outcome: .acknowledged(server), resolution: nil)
            }
            return await resolve(entry, server: server, resolver: resolver)
        }
        if response.firstError?.code == "FORBIDDEN" {
            return park(entry, "the id \(entry.recordID) is taken by a record you may not read")
        }
        // No live record: a tombstone holds the id.
        if entry.attempts > 1 { return SentEntry(entry: entry, outcome: .settledDeleted, resolution: nil) }
        return park(entry, "the id \(entry.recordID) is taken by a deleted record")
    }

    private func resolve(_ entry: OutboxEntry, server: Record?, resolver: ConflictResolver) async -> SentEntry {
        let local = try? await store.get(model: entry.model, id: entry.recordID)
        let (outcome, resolution) = await resolver.resolve(entry, server: server, local: local)
        return SentEntry(entry: entry, outcome: outcome, resolution: resolution)
    }

    private func park(_ entry: OutboxEntry, _ reason: String) -> SentEntry {
        SentEntry(entry: entry, outcome: .parked(reason: reason, server: nil), resolution: nil)
    }

    private static func outcome(of error: TransportError) -> SendOutcome {
        switch error {
        case .unreachable:
            return .transient(reason: error.description, retryAfter: nil, unreachable: true)
        case .throttled, .serverError:
            return .transient(reason: error.description, retryAfter: error.retryAfter, unreachable: false)
        case .unauthenticated:
            return .unauthenticated
        case .rejected(let status, let body):
            return .parked(reason: "HTTP \(status): \(body.prefix(200))", server: nil)
        }
    }

    /// The server merged a stale update (AUTOMERGE, `extensions.merged`): recorded like any
    /// resolution, with the fields it dropped.
    private static func serverMerge(_ response: GraphQLResponse, key: String, version: Int64) -> PendingResolution? {
        guard let merged = response.extensions?["merged"]?.arrayValue,
            let entry = merged.first(where: { $0["path"]?[0]?.stringValue == key })
        else { return nil }
        let dropped = entry["dropped"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return PendingResolution(
            strategy: "server-automerge", outcome: "merged",
            detail: dropped.isEmpty ? "nothing dropped" : "dropped: " + dropped.joined(separator: ", "), serverVersion: version)
    }
}

/// An exclusive `flock` on a file beside the store, held while a process sends its outbox.
final class SendLock: Sendable {
    private let path: String
    private let descriptor = Mutex<Int32?>(nil)

    init(path: String) {
        self.path = path
    }

    /// Takes the lock without waiting; false while another process, or another drain of this
    /// one, holds it.
    func acquire() -> Bool {
        descriptor.withLock { held in
            if held != nil { return false }
            guard let fd = try? PrivateFile.openLock(path) else { return false }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                close(fd)
                return false
            }
            held = fd
            return true
        }
    }

    func release() {
        descriptor.withLock { held in
            guard let fd = held else { return }
            flock(fd, LOCK_UN)
            close(fd)
            held = nil
        }
    }

    deinit {
        release()
    }
}
