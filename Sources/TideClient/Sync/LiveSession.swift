import Foundation
import TideModel

/// One connection's life in live mode (ARCHITECTURE §9.1): subscribe to every synced model's
/// events (resuming from the last applied seq), wait until the server has registered them, pull
/// each model's changes over HTTP while events are buffered, apply the buffered events the
/// pull did not already cover, then apply events as they come. Local writes are sent meanwhile.
///
/// The wait uses the protocol itself: the server handles one socket's messages in order and
/// registers a subscription before it reads the next message, so the answer to a query sent
/// after the subscriptions means they are all live. The pull's cut-off is claimed after that,
/// so every change lands in the pull, in an event, or in both (then the `_version` check keeps
/// one). A buffered event stamped at or before a model's cut-off (`startedAt`) is already in
/// the pull and is skipped, which also keeps an old event from bringing back a record a base
/// sync removed.
struct LiveSession: Sendable {
    enum Input: Sendable {
        case socket(RealtimeSocket.Event)
        case synced([String: Int64])
        case syncFailed(SyncFailure)
        case renewToken
        case interrupted
        case senderStopped(String)
    }

    enum End: Sendable, Equatable {
        case closed(reason: String, renew: Bool)
        case fatal(String)
        case interrupted
    }

    /// Events buffered while pulling; past this, the pull is repeated instead.
    static let bufferLimit = 100_000

    let space: UserSpace
    let inputs: AsyncStream<Input>
    let input: AsyncStream<Input>.Continuation
    let publish: @Sendable (ConnectionStateMachine.Event) -> Void

    private struct Subscription: Sendable {
        var model: ModelDescription
        var field: String
        var document: String
    }

    private struct Buffered: Sendable {
        var model: ModelDescription
        var record: Record
    }

    func run() async -> End {
        let token: String
        do {
            token = try await space.tokens.accessToken()
        } catch {
            if case .serverUnreachable(let why) = error { return .closed(reason: why, renew: false) }
            return .fatal(error.description)
        }
        let socket = RealtimeSocket(
            url: space.configuration.realtimeURL, payload: ["Authorization": .string("Bearer \(token)")],
            logger: space.configuration.logger)
        let input = self.input
        let space = self.space
        let forwarder = Task {
            for await event in socket.events { input.yield(.socket(event)) }
        }
        let renewal = Task {
            // Reconnect with a fresh token before the server ends the socket at its expiry.
            let wait = await space.tokens.secondsUntilRefresh
            try await Task.sleep(for: .seconds(max(1, wait)))
            input.yield(.renewToken)
        }
        var syncTask: Task<Void, Never>?
        var senderTask: Task<Void, Never>?
        defer {
            forwarder.cancel()
            renewal.cancel()
            syncTask?.cancel()
            senderTask?.cancel()
        }
        let end = await consume(socket: socket, syncTask: &syncTask, senderTask: &senderTask)
        syncTask?.cancel()
        senderTask?.cancel()
        await socket.closeAndWait()
        await syncTask?.value
        await senderTask?.value
        return end
    }

    private func consume(socket: RealtimeSocket, syncTask: inout Task<Void, Never>?, senderTask: inout Task<Void, Never>?) async -> End {
        let store = space.store
        var subscriptions: [String: Subscription] = [:]
        var barrier: String?
        var buffering = true
        var buffer: [Buffered] = []
        var overflowed = false
        var maxSeq: Int64?
        let resume = try? await store.resumeSeq()

        for await item in inputs {
            switch item {
            case .socket(.ready):
                for model in space.syncedModels {
                    for (field, document) in model.documents.subscriptions {
                        let id = socket.subscribe(query: document, extensions: resume.map { ["resumeFrom": .int($0)] } ?? [:])
                        subscriptions[id] = Subscription(model: model, field: field, document: document)
                    }
                }
                barrier = socket.subscribe(query: "{ __typename }")
                senderTask = startSender()

            case .socket(.next(let id, let payload)):
                guard let subscription = subscriptions[id], let value = payload["data"]?[subscription.field],
                    let record = subscription.model.record(fromWire: value)
                else { continue }
                let incoming = space.transform.incoming(record, model: subscription.model.model)
                if let seq = payload["extensions"]?["seq"]?.intValue { maxSeq = max(maxSeq ?? seq, seq) }
                if buffering {
                    if buffer.count < Self.bufferLimit { buffer.append(Buffered(model: subscription.model, record: incoming)) } else { overflowed = true }
                } else {
                    await apply([Buffered(model: subscription.model, record: incoming)], after: [:])
                    if let maxSeq { try? await store.setResumeSeq(maxSeq) }
                }

            case .socket(.error(let id, let errors)):
                if id == barrier { return .closed(reason: "the server refused the subscription barrier", renew: false) }
                guard let subscription = subscriptions.removeValue(forKey: id) else { continue }
                switch errors.first?["extensions"]?["code"]?.stringValue {
                case "RESUME_TOO_OLD":
                    // The feed no longer holds our seq: subscribe live; the pull covers the gap.
                    try? await store.setResumeSeq(nil)
                    let again = socket.subscribe(query: subscription.document)
                    subscriptions[again] = subscription
                case "UNAUTHENTICATED":
                    return .closed(reason: "the access token expired", renew: true)
                default:
                    // A model this user may not listen to: its pull reports it.
                    continue
                }

            case .socket(.complete(let id)):
                if id == barrier {
                    let input = self.input
                    let space = self.space
                    let publish = self.publish
                    syncTask = Task {
                        var starts: [String: Int64] = [:]
                        for model in space.syncedModels {
                            publish(.syncing(model: model.name))
                            do {
                                let result = try await space.modelSync(model, reportChanges: space.changes.hasListeners).run(onChanges: { changes in
                                    for change in changes { space.changes.yield(change) }
                                })
                                starts[model.name] = result.startedAt
                            } catch SyncFailure.notReadable {
                                continue
                            } catch {
                                input.yield(.syncFailed(error as? SyncFailure ?? .transport(.unreachable("\(error)"))))
                                return
                            }
                        }
                        input.yield(.synced(starts))
                    }
                } else if subscriptions.removeValue(forKey: id) != nil {
                    return .closed(reason: "the server completed a subscription", renew: true)
                }

            case .socket(.closed(let code, let reason)):
                return .closed(reason: code.map { "\(reason) (\($0))" } ?? reason, renew: code == 4403 || code == 4413)

            case .synced(let starts):
                if overflowed { return .closed(reason: "too many events while syncing; syncing again", renew: true) }
                await apply(buffer, after: starts)
                buffer = []
                if let maxSeq { try? await store.setResumeSeq(maxSeq) }
                buffering = false
                publish(.synced)

            case .syncFailed(let failure):
                if case .store(let error) = failure { return .fatal(error.description) }
                if case .transport(.unauthenticated(let why)) = failure { return .fatal("the server refused the credentials: \(why)") }
                return .closed(reason: failure.description, renew: false)

            case .renewToken:
                return .closed(reason: "renewing the access token", renew: true)

            case .interrupted:
                return .interrupted

            case .senderStopped(let reason):
                return .fatal(reason)
            }
        }
        return .interrupted
    }

    /// Applies events in order, one transaction per model run; an event stamped at or before its
    /// model's pull cut-off is skipped (the pull has it).
    private func apply(_ events: [Buffered], after starts: [String: Int64]) async {
        var index = 0
        while index < events.count {
            let model = events[index].model
            var records: [Record] = []
            while index < events.count, events[index].model.name == model.name {
                let record = events[index].record
                if record.lastChangedAt > (starts[model.name] ?? .min) { records.append(record) }
                index += 1
            }
            guard let applied = try? await space.store.applyServerRecords(
                model: model.name, records, predicate: space.predicates[model.name]?.expression, report: space.changes.hasListeners)
            else { continue }
            for change in applied.changes { space.changes.yield(change) }
        }
    }

    /// Sends the outbox whenever a local write (or another process's) signals, or a backoff ends.
    private func startSender() -> Task<Void, Never> {
        let space = self.space
        let input = self.input
        return Task {
            while !Task.isCancelled {
                let report = await space.sender.drain()
                if let reason = report.unauthenticated {
                    input.yield(.senderStopped(reason))
                    return
                }
                var wait: Duration = .seconds(5)
                if let due = try? await space.store.nextDue() {
                    wait = .milliseconds(max(50, min(5000, due - LocalStore.nowMillis())))
                }
                _ = await space.outboxWakeup.wait(timeout: wait)
            }
        }
    }
}
