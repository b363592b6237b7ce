import NIOCore
import TideGraphQL
import TideModel

/// graphql-transport-ws on the server side as a value: the connection's phase, its running
/// operations and when the peer was last heard; events in, actions out. It owns no socket,
/// clock or store: ``RealtimeConnection`` feeds it client messages and timer ticks (with the
/// time) and carries out what it returns, so the protocol's rules are tested apart from the
/// network (`RealtimeStateMachineTests`), as Hummingbird tests its connection state machine.
///
/// ```
/// awaitingInit ─connection_init─► authenticating ─acknowledge─► ready ─┐ (reauthorize: ready)
///      │ 4401 subscribe, 4408 timeout     │ 4403 refused               │ 4400, 4409, 4429, 4403
///      └──────────────────────────────────┴──────────► closing ◄───────┘ expiry/revoked, 1001
/// ```
///
/// `Stream` is what the connection keeps for a running subscription.
struct RealtimeStateMachine<Stream> {
    enum Phase {
        case awaitingInit
        /// `connection_init` arrived; its credentials are being checked.
        case authenticating
        case ready(RealtimeCaller)
        /// The server sent its close frame (or the socket is gone): nothing more is handled.
        case closing
    }

    enum Operation {
        /// A query or mutation still running.
        case single
        case stream(Stream)
    }

    enum Action {
        case none
        /// Check these `connection_init` credentials, then call ``acknowledge(_:)`` or ``close(_:errors:)``.
        case authenticate(payload: [String: JSONValue])
        /// Send this message.
        case send([UInt8])
        /// Prepare the operation; once it runs, call ``started(_:_:)``.
        case start(id: String, request: GraphQLRequest, resumeFrom: Int64?, caller: RealtimeCaller)
        /// The client completed this subscription: it hears nothing more.
        case stop(Stream)
        /// Send the closing's `errors` to its subscriptions, then the close frame with this reason.
        case close(CloseReason, Closing)
    }

    /// What a connection gives up when it closes.
    struct Closing {
        /// The caller whose registrations (hub, connection slot) end; nil if never acknowledged.
        var caller: RealtimeCaller?
        /// The subscriptions that end with the connection, in id order.
        var streams: [(id: String, stream: Stream)]
        /// An `error` payload each of those subscriptions gets before the close (credentials ran
        /// out, so the client knows to resume elsewhere); nil for none.
        var errors: [UInt8]?
    }

    /// What a keepalive tick calls for.
    enum Keepalive {
        /// Not acknowledged yet: tick again after the period.
        case wait
        /// Ping the peer (after checking `caller`'s API key, if any), then tick again.
        case ping(RealtimeCaller)
        /// Silent for two periods: close.
        case timedOut(Action)
        /// The connection is closing: no more ticks.
        case stop
    }

    /// What the token-expiry timer calls for.
    enum Expiry {
        /// Not yet (the clock's second has not come): check again at `expiresAt`.
        case notYet(RealtimeCaller)
        case expired(Action)
        case stop
    }

    private(set) var phase: Phase = .awaitingInit
    private(set) var operations: [String: Operation] = [:]
    private var lastHeard: NIODeadline
    let maxOperations: Int

    init(maxOperations: Int, now: NIODeadline) {
        self.maxOperations = maxOperations
        self.lastHeard = now
    }

    var caller: RealtimeCaller? {
        if case .ready(let caller) = phase { caller } else { nil }
    }

    var isClosing: Bool {
        if case .closing = phase { true } else { false }
    }

    /// The running subscriptions; the connection reads them for every feed entry.
    var streams: some Sequence<(id: String, stream: Stream)> {
        operations.lazy.compactMap { id, operation in
            if case .stream(let stream) = operation { (id, stream) } else { nil }
        }
    }

    // MARK: - Events

    /// Anything at all arrived from the peer.
    mutating func heard(at now: NIODeadline) {
        lastHeard = now
    }

    /// A validated client message; `now` is the identity clock in epoch seconds.
    mutating func receive(_ message: ClientMessage, now: Int64) -> Action {
        if case .closing = phase { return .none }
        switch message {
        case .connectionInit(let payload):
            guard case .awaitingInit = phase else { return close(.tooManyInits) }
            phase = .authenticating
            return .authenticate(payload: payload)
        case .ping(let payload):
            return .send(ServerMessage.pong(payload: payload))
        case .pong:
            return .none
        case .subscribe(let id, let request, let resumeFrom):
            guard case .ready(let caller) = phase else { return close(.unauthorized) }
            guard operations[id] == nil else { return close(.duplicate(id)) }
            if caller.isExpired(at: now) { return expire() }
            guard operations.count < maxOperations else {
                return .send(
                    ServerMessage.error(
                        id: id,
                        errors: ErrorJSON.list(
                            message: "At most \(maxOperations) operations may run on one connection.", code: .limitExceeded)))
            }
            return .start(id: id, request: request, resumeFrom: resumeFrom, caller: caller)
        case .complete(let id):
            // A query still running finishes, but its result is no longer sent.
            guard case .stream(let stream)? = operations.removeValue(forKey: id) else { return .none }
            return .stop(stream)
        }
    }

    /// The `connection_init` credentials are good: the connection is ready.
    mutating func acknowledge(_ caller: RealtimeCaller) -> Action {
        guard case .authenticating = phase else { return .none }
        phase = .ready(caller)
        return .send(ServerMessage.connectionAck)
    }

    /// The caller's rights changed while connected (an administrator changed its groups): the
    /// connection acts for `caller` from now on, and of its subscriptions only those in `keeping`
    /// (the ones the new rights still allow) go on. Returns the ids of those that ended, in id
    /// order. Queries and mutations already running finish as they started.
    mutating func reauthorize(_ caller: RealtimeCaller, keeping: Set<String>) -> [String] {
        guard case .ready = phase else { return [] }
        phase = .ready(caller)
        var ended: [String] = []
        for (id, operation) in operations {
            if case .stream = operation, !keeping.contains(id) {
                operations[id] = nil
                ended.append(id)
            }
        }
        return ended.sorted()
    }

    /// The running subscription with this id, if any.
    func stream(_ id: String) -> Stream? {
        if case .stream(let stream)? = operations[id] { stream } else { nil }
    }

    /// A subscription failed on the server's side (its replay could not be read): it ends, and
    /// the connection sends its `error`. False when it had ended already.
    mutating func failed(_ id: String) -> Bool {
        guard case .ready = phase, case .stream? = operations[id] else { return false }
        operations[id] = nil
        return true
    }

    /// The operation of a ``Action/start(id:request:resumeFrom:caller:)`` runs.
    mutating func started(_ id: String, _ operation: Operation) {
        guard case .ready = phase else { return }
        operations[id] = operation
    }

    /// A query or mutation finished: true when its result is to be sent (the client has not
    /// completed it and the connection is still open).
    mutating func finished(_ id: String) -> Bool {
        guard case .single? = operations[id], case .ready = phase else { return false }
        operations[id] = nil
        return true
    }

    mutating func initTimedOut() -> Action {
        switch phase {
        case .awaitingInit, .authenticating: close(.initTimeout)
        case .ready, .closing: .none
        }
    }

    /// The keepalive timer: a peer silent for two periods (and a second) is gone.
    mutating func keepalive(now: NIODeadline, period: TimeAmount) -> Keepalive {
        switch phase {
        case .awaitingInit, .authenticating: return .wait
        case .closing: return .stop
        case .ready(let caller):
            if now - lastHeard > period + period + .seconds(1) {
                return .timedOut(close(CloseReason(code: 1001, reason: "Ping timeout")))
            }
            return .ping(caller)
        }
    }

    /// The token-expiry timer; `now` in epoch seconds.
    mutating func expiryDue(now: Int64) -> Expiry {
        guard case .ready(let caller) = phase else { return .stop }
        return caller.isExpired(at: now) ? .expired(expire()) : .notYet(caller)
    }

    /// The credentials ran out: every subscription ends with an `error`, then the socket closes
    /// (4403). The client connects again with fresh ones and resumes from its last seq.
    mutating func expire(
        _ message: String = "The access token expired: connect again with a fresh token and resume from the last seq.",
        close reason: CloseReason = .tokenExpired
    ) -> Action {
        close(reason, errors: ErrorJSON.list(message: message, code: .unauthenticated))
    }

    /// Starts the closing handshake; `.none` when it has started already.
    mutating func close(_ reason: CloseReason, errors: [UInt8]? = nil) -> Action {
        guard let closing = end(errors: errors) else { return .none }
        return .close(reason, closing)
    }

    /// The socket is gone (or closing): what the connection gives up, once; nil after that.
    mutating func end(errors: [UInt8]? = nil) -> Closing? {
        if case .closing = phase { return nil }
        let streams = self.streams.sorted { $0.id < $1.id }
        let closing = Closing(caller: caller, streams: streams, errors: errors)
        phase = .closing
        operations = [:]
        return closing
    }
}
