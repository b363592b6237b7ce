import HTTPTypes
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import TideGraphQL
import TideModel
import TideStore

/// One graphql-transport-ws connection: the protocol's state machine, run by a single task that
/// reads the connection's ``ConnectionInbox`` in order.
///
/// Because client messages and feed entries arrive through the same ordered inbox, the
/// connection always knows its feed `position`: the seq of the last entry it has dispatched, or
/// the hub's position when it registered. A subscription starts live after `position`; one that
/// resumes from N first replays (N, position] from the store and then goes live after
/// `position`, so it gets every matching event once, in feed order, across the switch.
final class RealtimeConnection {
    private struct Caller {
        var principal: Principal
        var expiresAt: Int64?
        /// The key of the per-caller connection limit and of the rate limit.
        var key: String
    }

    private enum Phase {
        case awaitingInit(deadline: ContinuousClock.Instant)
        case ready(Caller)
    }

    private struct Stream {
        var subscription: EventSubscription
        /// Entries up to this seq were replayed or predate the subscription.
        var after: Int64
    }

    private let environment: RealtimeEnvironment
    private let inbox: ConnectionInbox
    private let outbound: WebSocketOutboundWriter
    private let clientAddress: String
    private var phase: Phase
    private var position: Int64 = 0
    private var streams: [String: Stream] = [:]
    /// Queries and mutations running for this connection, by operation id.
    private var singles: Set<String> = []
    private var lastPing = ContinuousClock.now

    init(environment: RealtimeEnvironment, inbox: ConnectionInbox, outbound: WebSocketOutboundWriter, clientAddress: String) {
        self.environment = environment
        self.inbox = inbox
        self.outbound = outbound
        self.clientAddress = clientAddress
        self.phase = .awaitingInit(deadline: .now + environment.configuration.initTimeout)
    }

    /// Serves the connection until it closes, then releases what it held.
    func run() async {
        do {
            for await item in inbox.items {
                if inbox.hasOverflowed {
                    try await close(.overflow)
                    break
                }
                guard try await handle(item) else { break }
            }
        } catch {
            // A write failed: the socket is gone, nothing more can be sent.
        }
        end()
    }

    /// False when the connection is over.
    private func handle(_ item: ConnectionInbox.Item) async throws -> Bool {
        switch item {
        case .client(.failure(let violation)):
            try await close(.badRequest(violation.message))
            return false
        case .client(.success(let message)):
            return try await receive(message)
        case .entries(let entries):
            inbox.took(entries.count)
            return try await dispatch(entries)
        case .tick:
            return try await tick()
        case .finished(let id, let response):
            try await finish(id, response)
            return true
        case .socketClosed:
            return false
        }
    }

    // MARK: - Client messages

    private func receive(_ message: ClientMessage) async throws -> Bool {
        switch message {
        case .connectionInit(let payload):
            guard case .awaitingInit = phase else {
                try await close(.tooManyInits)
                return false
            }
            return try await initialize(payload)
        case .ping(let payload):
            try await send(ServerMessage.pong(payload: payload))
            return true
        case .pong:
            return true
        case .subscribe(let id, let request, let resumeFrom):
            guard case .ready(let caller) = phase else {
                try await close(.unauthorized)
                return false
            }
            guard streams[id] == nil, !singles.contains(id) else {
                try await close(.duplicate(id))
                return false
            }
            if isExpired(caller) { return try await expire() }
            guard streams.count + singles.count < environment.configuration.maxOperationsPerConnection else {
                try await send(
                    ServerMessage.error(
                        id: id,
                        errors: ErrorJSON.list(
                            message: "At most \(environment.configuration.maxOperationsPerConnection) operations may run on one connection.",
                            code: "LIMIT_EXCEEDED")))
                return true
            }
            try await start(id, request, resumeFrom: resumeFrom, caller: caller)
            return true
        case .complete(let id):
            if streams.removeValue(forKey: id) != nil { environment.metrics.realtimeSubscriptionEnded() }
            // A query still running finishes, but its result is no longer sent.
            singles.remove(id)
            return true
        }
    }

    /// `connection_init`: the payload's `Authorization` / `x-api-key` entries are checked like
    /// the HTTP headers of the same names; none at all makes an anonymous connection.
    private func initialize(_ payload: [String: JSONValue]) async throws -> Bool {
        var headers = HTTPFields()
        for (key, value) in payload {
            if case .string(let text) = value, let name = HTTPField.Name(key) { headers[name] = text }
        }
        let authenticated: AuthenticatedCaller
        do {
            authenticated = try environment.authenticate(try RequestCredentials(headers))
        } catch {
            try await close(.forbidden)
            return false
        }
        let key = authenticated.principal == .anonymous ? "ip:" + clientAddress : authenticated.principal.actor
        guard environment.connections.acquire(key) else {
            try await close(.tooManyConnections)
            return false
        }
        phase = .ready(Caller(principal: authenticated.principal, expiresAt: authenticated.expiresAt, key: key))
        position = environment.hub.register(inbox)
        environment.metrics.realtimeConnectionOpened()
        lastPing = .now
        try await send(ServerMessage.connectionAck)
        return true
    }

    private func start(_ id: String, _ request: GraphQLRequest, resumeFrom: Int64?, caller: Caller) async throws {
        let context = ExecutionContext(principal: caller.principal, allowsMutations: true)
        switch environment.engine.prepare(request, context: context) {
        case .rejected(let errors):
            try await send(ServerMessage.error(id: id, errors: errors))
        case .single:
            if let limiter = environment.limiter, limiter.acquire(caller.key) != nil {
                environment.metrics.recordRateLimited(route: "graphql")
                try await send(
                    ServerMessage.error(id: id, errors: ErrorJSON.list(message: "Rate limit exceeded; retry later.", code: "RATE_LIMITED")))
                return
            }
            singles.insert(id)
            let engine = environment.engine
            let inbox = inbox
            // Runs beside the connection so that a slow write does not hold up event delivery;
            // the response comes back through the inbox, keeping one writer for the socket.
            Task {
                let response = await engine.execute(request, context: context)
                inbox.post(.finished(id: id, response))
            }
        case .stream(let subscription):
            var after = position
            if let resumeFrom {
                switch try await replay(subscription, id: id, after: resumeFrom) {
                case .resumed(let floor): after = floor
                case .refused(let errors):
                    try await send(ServerMessage.error(id: id, errors: errors))
                    return
                }
            }
            streams[id] = Stream(subscription: subscription, after: after)
            environment.metrics.realtimeSubscriptionStarted()
        }
    }

    private enum Replay {
        /// Live events start after this seq.
        case resumed(after: Int64)
        case refused(errors: [UInt8])
    }

    /// Sends the matching entries in (seq, position] from the store. Entries after `position`
    /// are in the inbox or still to come, so the subscription continues live after `position`.
    private func replay(_ subscription: EventSubscription, id: String, after seq: Int64) async throws -> Replay {
        let head = environment.store.feedHead
        guard seq <= head else {
            return .refused(
                errors: ErrorJSON.list(
                    message: "resumeFrom \(seq) is ahead of the change feed (at \(head)): run a delta sync, then subscribe without resumeFrom.",
                    code: "RESUME_TOO_OLD"))
        }
        guard seq < position else { return .resumed(after: seq) }
        var cursor = seq
        while cursor < position {
            let page: [FeedEntry]
            do {
                page = try environment.store.feed(after: cursor, limit: Int(min(256, position - cursor)))
            } catch {
                environment.logger.error("realtime: replay failed", metadata: ["error": "\(error)"])
                return .refused(errors: ErrorJSON.list(message: "Internal server error.", code: "INTERNAL"))
            }
            // The feed has no holes, so a missing successor was removed by retention.
            guard let first = page.first, first.seq == cursor + 1, let last = page.last else {
                return .refused(
                    errors: ErrorJSON.list(
                        message: "The change feed no longer holds the events after seq \(seq): run a delta sync, then subscribe without resumeFrom.",
                        code: "RESUME_TOO_OLD"))
            }
            for entry in page {
                if let payload = subscription.payload(for: entry) { try await sendNext(id, payload) }
            }
            cursor = last.seq
        }
        return .resumed(after: position)
    }

    private func finish(_ id: String, _ response: GraphQLResponse) async throws {
        // Completed by the client meanwhile: nothing more is sent for it.
        guard singles.remove(id) != nil else { return }
        if response.outcome == .requestError {
            let errors = (try? JSONParser.parse(response.body))?["errors"] ?? .array([])
            try await send(ServerMessage.error(id: id, errors: errors.jsonBytes))
            return
        }
        try await send(ServerMessage.next(id: id, payload: response.body))
        try await send(ServerMessage.complete(id: id))
    }

    // MARK: - Events and timers

    private func dispatch(_ entries: [FeedEntry]) async throws -> Bool {
        if case .ready(let caller) = phase, isExpired(caller) { return try await expire() }
        for entry in entries {
            position = entry.seq
            for (id, stream) in streams where entry.seq > stream.after {
                if let payload = stream.subscription.payload(for: entry) { try await sendNext(id, payload) }
            }
        }
        return true
    }

    private func tick() async throws -> Bool {
        let now = ContinuousClock.now
        switch phase {
        case .awaitingInit(let deadline):
            if now >= deadline {
                try await close(.initTimeout)
                return false
            }
        case .ready(let caller):
            if isExpired(caller) { return try await expire() }
            if let interval = environment.configuration.pingInterval, now - lastPing >= interval {
                lastPing = now
                try await send(ServerMessage.ping)
            }
        }
        return true
    }

    private func isExpired(_ caller: Caller) -> Bool {
        guard let expiresAt = caller.expiresAt else { return false }
        return Int64(environment.now().timeIntervalSince1970.rounded(.down)) >= expiresAt
    }

    /// The token ran out: every subscription ends with an `error`, then the socket closes (4403).
    /// The client connects again with a fresh token and resumes from its last seq.
    private func expire() async throws -> Bool {
        let errors = ErrorJSON.list(
            message: "The access token expired: connect again with a fresh token and resume from the last seq.",
            code: "UNAUTHENTICATED")
        for id in streams.keys.sorted() {
            try await send(ServerMessage.error(id: id, errors: errors))
        }
        try await close(.tokenExpired)
        return false
    }

    // MARK: - Socket

    private func sendNext(_ id: String, _ payload: [UInt8]) async throws {
        try await send(ServerMessage.next(id: id, payload: payload))
        environment.metrics.realtimeEventSent()
    }

    /// One text message; fragmented only past the frame size the server accepts itself.
    private func send(_ bytes: [UInt8]) async throws {
        let frameSize = environment.configuration.maxMessageBytes
        if bytes.count <= frameSize {
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: bytes))))
        } else {
            try await outbound.withTextMessageWriter { write in
                for start in stride(from: 0, to: bytes.count, by: frameSize) {
                    try await write(ByteBuffer(bytes: bytes[start..<min(start + frameSize, bytes.count)]))
                }
            }
        }
    }

    private func close(_ reason: CloseReason) async throws {
        try await outbound.close(WebSocketErrorCode(codeNumber: reason.code), reason: reason.reason)
    }

    private func end() {
        inbox.finish()
        guard case .ready(let caller) = phase else { return }
        environment.hub.unregister(inbox)
        environment.connections.release(caller.key)
        for _ in streams.keys { environment.metrics.realtimeSubscriptionEnded() }
        environment.metrics.realtimeConnectionClosed()
    }
}
