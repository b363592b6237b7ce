import Foundation
import HTTPTypes
import NIOCore
import NIOWebSocket
import TideGraphQL
import TideModel
import TideStore

/// One graphql-transport-ws connection: the protocol's state machine, as a channel handler on
/// the socket's event loop. Client messages, feed entries (from ``FeedHub`` via
/// ``LoopConnections``), timers and finished queries all arrive on that loop, one at a time, and
/// every message goes straight onto the socket: no task, queue or async writer per connection.
///
/// Because everything runs on one loop in order, the connection always knows its feed
/// `position`: the seq of the last entry it has dispatched, or the hub's position when it
/// registered. A subscription starts live after `position`; one that resumes from N first
/// replays (N, position] from the store and then goes live after `position`, so it gets every
/// matching event once, in feed order, across the switch.
///
/// A connection bounds what it lets pile up: once the socket stops taking data (NIO's write
/// buffer is above its high-water mark), more than ``RealtimeConfiguration/queueCapacity`` feed
/// entries handed to it close it with 4413; the client resumes from its last `seq`.
final class RealtimeConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Classes, not structs: every event is checked against them on every connection, and a
    /// reference is one retain where copying the values would be one per field.
    private final class Caller {
        let principal: Principal
        let expiresAt: Int64?
        /// The key of the per-caller connection limit and of the rate limit.
        let key: String
        /// An API key can be revoked (or run out) while the socket is open: it is checked again
        /// at every keepalive. A bearer token cannot change before its `exp`, which has a timer.
        let apiKey: RequestCredentials?

        init(principal: Principal, expiresAt: Int64?, key: String, apiKey: RequestCredentials?) {
            self.principal = principal
            self.expiresAt = expiresAt
            self.key = key
            self.apiKey = apiKey
        }
    }

    private enum Phase {
        case awaitingInit
        case ready(Caller)
        /// The server sent its close frame (or the socket is gone): nothing more is handled.
        case closing
    }

    private final class Stream {
        let subscription: EventSubscription
        /// Entries up to this seq were replayed or predate the subscription.
        let after: Int64

        init(subscription: EventSubscription, after: Int64) {
            self.subscription = subscription
            self.after = after
        }
    }

    /// A client that answers nothing for this long after the server's close frame is dropped.
    private static let closeTimeout: TimeAmount = .seconds(10)
    /// How often the socket is probed with a WebSocket ping when no protocol ping interval is set.
    private static let defaultKeepalive: TimeAmount = .seconds(30)

    private let environment: RealtimeEnvironment
    private let clientAddress: String
    /// Set when the socket is closed as soon as it opens (the upgrade lacked our subprotocol).
    private let refusal: CloseReason?
    private var framing: WebSocketFraming
    private var context: ChannelHandlerContext?
    /// The frame encoder's context: writing there sends ready-made frames (``OutgoingMessage``)
    /// past the encoder, so a message shared by many sockets is not framed again for each.
    private var framedWriter: ChannelHandlerContext?
    private var phase: Phase = .awaitingInit
    private var registered = false
    private var position: Int64 = 0
    private var streams: [String: Stream] = [:]
    /// Queries and mutations running for this connection, by operation id.
    private var singles: Set<String> = []
    /// Tracked from writability events: cheaper than asking the channel for every event.
    private var writable = true
    /// Feed entries handed over since the socket stopped taking data.
    private var behind = 0
    /// When the client last sent anything: a peer silent for two keepalive periods is gone.
    private var lastHeard = NIODeadline.now()
    private var needsFlush = false
    /// One slot per timer: the keepalive and expiry timers reschedule themselves, so a list of
    /// every timer ever scheduled would grow for as long as the connection lives.
    private var initTimer: Scheduled<Void>?
    private var keepaliveTimer: Scheduled<Void>?
    private var expiryTimer: Scheduled<Void>?

    init(environment: RealtimeEnvironment, clientAddress: String, refusal: CloseReason? = nil) {
        self.environment = environment
        self.clientAddress = clientAddress
        self.refusal = refusal
        self.framing = WebSocketFraming(maxMessageBytes: environment.configuration.maxMessageBytes)
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        framedWriter = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        if let refusal { return close(refusal) }
        let loop = context.eventLoop.assumeIsolated()
        initTimer = loop.scheduleTask(in: TimeAmount(environment.configuration.initTimeout)) { [self] in
            if case .awaitingInit = phase { close(.initTimeout) }
        }
        scheduleKeepalive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        end()
        self.context = nil
        framedWriter = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastHeard = .now()
        switch framing.receive(unwrapInboundIn(data)) {
        case .none:
            break
        case .message(let text):
            if case .closing = phase { break }
            do throws(ClientMessage.Violation) {
                receive(try ClientMessage(text: text.readableBytesView))
            } catch {
                close(.badRequest(error.message))
            }
        case .reply(let frame):
            write(frame)
        case .fail(let reason):
            close(reason)
        case .closed(let echo):
            if let echo { context.writeAndFlush(wrapOutboundOut(echo), promise: nil) }
            end()
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable { behind = 0 }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            close(CloseReason(code: 1001, reason: "Server shutting down"))
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A broken socket or a frame NIO could not decode: either way the connection is over,
        // since the decoder reads nothing more. A frame error is answered with a close frame
        // saying why, unless ours is already out: RFC 6455 allows one close frame, so the
        // upgrader's own error handler (which would send a second) is off.
        let closeFrameSent: Bool
        if case .closing = phase { closeFrameSent = true } else { closeFrameSent = false }
        end()
        guard let error = error as? NIOWebSocketError, !closeFrameSent else { return context.close(promise: nil) }
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: error == .invalidFrameLength ? .messageTooLarge : .protocolError)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: - Client messages

    private func receive(_ message: ClientMessage) {
        switch message {
        case .connectionInit(let payload):
            guard case .awaitingInit = phase else { return close(.tooManyInits) }
            initialize(payload)
        case .ping(let payload):
            send(ServerMessage.pong(payload: payload))
        case .pong:
            break
        case .subscribe(let id, let request, let resumeFrom):
            guard case .ready(let caller) = phase else { return close(.unauthorized) }
            guard streams[id] == nil, !singles.contains(id) else { return close(.duplicate(id)) }
            if isExpired(caller) { return expire() }
            guard streams.count + singles.count < environment.configuration.maxOperationsPerConnection else {
                return send(
                    ServerMessage.error(
                        id: id,
                        errors: ErrorJSON.list(
                            message: "At most \(environment.configuration.maxOperationsPerConnection) operations may run on one connection.",
                            code: .limitExceeded)))
            }
            start(id, request, resumeFrom: resumeFrom, caller: caller)
        case .complete(let id):
            if streams.removeValue(forKey: id) != nil { environment.metrics.realtimeSubscriptionEnded() }
            // A query still running finishes, but its result is no longer sent.
            singles.remove(id)
        }
    }

    /// `connection_init`: the payload's `Authorization` / `x-api-key` entries are checked like
    /// the HTTP headers of the same names; none at all makes an anonymous connection.
    private func initialize(_ payload: [String: JSONValue]) {
        guard let context else { return }
        var headers = HTTPFields()
        for (key, value) in payload {
            if case .string(let text) = value, let name = HTTPField.Name(key) { headers[name] = text }
        }
        let credentials: RequestCredentials
        let authenticated: AuthenticatedCaller
        do {
            credentials = try RequestCredentials(headers)
            authenticated = try environment.authenticate(credentials)
        } catch {
            return close(.forbidden)
        }
        let key = authenticated.principal == .anonymous ? "ip:" + clientAddress : authenticated.principal.actor
        guard environment.connections.acquire(key) else { return close(.tooManyConnections) }
        var apiKey: RequestCredentials?
        if case .apiKey = credentials { apiKey = credentials }
        let caller = Caller(principal: authenticated.principal, expiresAt: authenticated.expiresAt, key: key, apiKey: apiKey)
        phase = .ready(caller)
        position = environment.hub.register(self, on: context.eventLoop)
        registered = true
        environment.metrics.realtimeConnectionOpened()
        scheduleExpiry(caller)
        send(ServerMessage.connectionAck)
    }

    private func start(_ id: String, _ request: GraphQLRequest, resumeFrom: Int64?, caller: Caller) {
        guard let context else { return }
        let executionContext = ExecutionContext(principal: caller.principal, allowsMutations: true)
        switch environment.engine.prepare(request, context: executionContext) {
        case .rejected(let errors):
            send(ServerMessage.error(id: id, errors: errors))
        case .single:
            if let limiter = environment.limiter, limiter.acquire(caller.key) != nil {
                environment.metrics.recordRateLimited(route: "graphql")
                return send(
                    ServerMessage.error(id: id, errors: ErrorJSON.list(message: "Rate limit exceeded; retry later.", code: .rateLimited)))
            }
            singles.insert(id)
            let engine = environment.engine
            let connection = NIOLoopBound(self, eventLoop: context.eventLoop)
            // Runs beside the connection so that a slow query does not hold up event delivery;
            // the response comes back on the connection's loop.
            Task {
                let response = await engine.execute(request, context: executionContext)
                connection.eventLoop.execute { connection.value.finish(id, response) }
            }
        case .stream(let subscription):
            var after = position
            if let resumeFrom {
                switch replay(subscription, id: id, after: resumeFrom) {
                case .resumed(let floor): after = floor
                case .refused(let errors): return send(ServerMessage.error(id: id, errors: errors))
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
    /// are still to come from the hub, so the subscription continues live after `position`.
    private func replay(_ subscription: EventSubscription, id: String, after seq: Int64) -> Replay {
        let head = environment.store.feedHead
        guard seq <= head else {
            return .refused(
                errors: ErrorJSON.list(
                    message: "resumeFrom \(seq) is ahead of the change feed (at \(head)): run a delta sync, then subscribe without resumeFrom.",
                    code: .resumeTooOld))
        }
        guard seq < position else { return .resumed(after: seq) }
        var cursor = seq
        while cursor < position {
            let page: [FeedEntry]
            do {
                page = try environment.store.feed(after: cursor, limit: Int(min(256, position - cursor)))
            } catch {
                environment.logger.error("realtime: replay failed", metadata: ["error": "\(error)"])
                return .refused(errors: ErrorJSON.list(message: "Internal server error.", code: .internalError))
            }
            // The feed has no holes, so a missing successor was removed by retention.
            guard let first = page.first, first.seq == cursor + 1, let last = page.last else {
                return .refused(
                    errors: ErrorJSON.list(
                        message: "The change feed no longer holds the events after seq \(seq): run a delta sync, then subscribe without resumeFrom.",
                        code: .resumeTooOld))
            }
            for entry in page {
                if let payload = subscription.payload(for: entry) {
                    send(ServerMessage.next(id: id, payload: payload))
                    environment.metrics.realtimeEventSent()
                }
            }
            cursor = last.seq
        }
        return .resumed(after: position)
    }

    private func finish(_ id: String, _ response: GraphQLResponse) {
        // Completed by the client meanwhile, or the connection is closing: nothing more is sent.
        guard singles.remove(id) != nil, case .ready = phase else { return }
        if response.outcome == .requestError {
            let errors = (try? JSONParser.parse(response.body))?["errors"] ?? .array([])
            send(ServerMessage.error(id: id, errors: errors.jsonBytes))
        } else {
            send(ServerMessage.next(id: id, payload: response.body))
            send(ServerMessage.complete(id: id))
        }
        flush()
    }

    // MARK: - Events and timers

    /// A batch of feed entries from the hub, on this connection's loop.
    func dispatch(_ entries: [FeedEntry], messages: inout EventMessages) {
        // Token expiry has its own timer (expiryTimer), to the millisecond: not checked here.
        guard case .ready = phase else { return }
        if !writable {
            behind += entries.count
            if behind > environment.configuration.queueCapacity {
                environment.metrics.realtimeOverflowClose()
                return close(.overflow)
            }
        }
        for entry in entries where entry.seq > position {
            position = entry.seq
            for (id, stream) in streams where entry.seq > stream.after {
                if let message = messages.next(stream.subscription, id: id, entry: entry) {
                    send(message)
                    environment.metrics.realtimeEventSent()
                }
            }
        }
        flush()
    }

    /// Pings on the protocol's interval (when set) and at the WebSocket level, and drops a peer
    /// that has been silent for two periods.
    private func scheduleKeepalive() {
        guard let context else { return }
        let period = environment.configuration.pingInterval.map(TimeAmount.init) ?? Self.defaultKeepalive
        keepaliveTimer = context.eventLoop.assumeIsolated().scheduleTask(in: period) { [self] in
            guard case .ready(let caller) = phase else {
                if case .awaitingInit = phase { scheduleKeepalive() }
                return
            }
            if NIODeadline.now() - lastHeard > period + period + .seconds(1) {
                close(CloseReason(code: 1001, reason: "Ping timeout"))
                return
            }
            if let apiKey = caller.apiKey, (try? environment.authenticate(apiKey)) == nil {
                return expire(
                    "The API key was revoked or expired: connect again with a valid key and resume from the last seq.",
                    close: .apiKeyRevoked)
            }
            if environment.configuration.pingInterval != nil { send(ServerMessage.ping) }
            write(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()))
            flush()
            scheduleKeepalive()
        }
    }

    /// The token's expiry ends the connection on time even when nothing else happens on it.
    private func scheduleExpiry(_ caller: Caller) {
        guard let expiresAt = caller.expiresAt, let context else { return }
        let seconds = max(0, Double(expiresAt) - environment.now().timeIntervalSince1970)
        expiryTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(seconds * 1000) + 10)) {
            [self] in
            guard case .ready(let caller) = phase else { return }
            if isExpired(caller) { expire() } else { scheduleExpiry(caller) }
        }
    }

    private func isExpired(_ caller: Caller) -> Bool {
        guard let expiresAt = caller.expiresAt else { return false }
        return Int64(environment.now().timeIntervalSince1970.rounded(.down)) >= expiresAt
    }

    /// The credentials ran out: every subscription ends with an `error`, then the socket closes
    /// (4403). The client connects again with fresh ones and resumes from its last seq.
    private func expire(
        _ message: String = "The access token expired: connect again with a fresh token and resume from the last seq.",
        close reason: CloseReason = .tokenExpired
    ) {
        let errors = ErrorJSON.list(message: message, code: .unauthenticated)
        for id in streams.keys.sorted() {
            send(ServerMessage.error(id: id, errors: errors))
        }
        close(reason)
    }

    // MARK: - Socket

    /// One text message; fragmented only past the frame size the server accepts itself.
    private func send(_ bytes: [UInt8]) {
        send(ByteBuffer(bytes: bytes))
    }

    private func send(_ message: OutgoingMessage) {
        switch message {
        case .frame(let frame):
            guard let framedWriter else {
                // NIO's upgrader always installs the encoder; without it nothing can be framed.
                environment.logger.error("realtime: no WebSocket frame encoder in the pipeline")
                context?.close(promise: nil)
                return
            }
            framedWriter.write(NIOAny(frame), promise: nil)
            needsFlush = true
        case .fragmented(let payload):
            send(payload)
        }
    }

    private func send(_ message: ByteBuffer) {
        let frameSize = environment.configuration.maxMessageBytes
        guard message.readableBytes > frameSize else {
            return write(WebSocketFrame(fin: true, opcode: .text, data: message))
        }
        var rest = message
        var opcode = WebSocketOpcode.text
        while rest.readableBytes > 0, let part = rest.readSlice(length: min(frameSize, rest.readableBytes)) {
            write(WebSocketFrame(fin: rest.readableBytes == 0, opcode: opcode, data: part))
            opcode = .continuation
        }
    }

    private func write(_ frame: WebSocketFrame) {
        guard let context else { return }
        context.write(wrapOutboundOut(frame), promise: nil)
        needsFlush = true
    }

    private func flush() {
        guard needsFlush, let context else { return }
        needsFlush = false
        context.flush()
    }

    /// Starts the closing handshake: no more events or messages; the socket closes when the
    /// client answers, or after ``closeTimeout``.
    private func close(_ reason: CloseReason) {
        if case .closing = phase { return }
        leave()
        phase = .closing
        framing.startClosing()
        guard let context else { return }
        var data = context.channel.allocator.buffer(capacity: 2 + reason.reason.utf8.count)
        data.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: reason.code))
        data.writeString(reason.reason)
        write(WebSocketFrame(fin: true, opcode: .connectionClose, data: data))
        flush()
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeTimeout) { [self] in
            self.context?.close(promise: nil)
        }
    }

    /// Releases what an acknowledged connection held: its hub registration, its slot in the
    /// per-caller limit, its timers. Idempotent.
    private func leave() {
        for timer in [initTimer, keepaliveTimer, expiryTimer] { timer?.cancel() }
        (initTimer, keepaliveTimer, expiryTimer) = (nil, nil, nil)
        guard case .ready(let caller) = phase else { return }
        if registered, let context {
            environment.hub.unregister(self, on: context.eventLoop)
            registered = false
        }
        environment.connections.release(caller.key)
        for _ in streams.keys { environment.metrics.realtimeSubscriptionEnded() }
        streams = [:]
        environment.metrics.realtimeConnectionClosed()
    }

    private func end() {
        leave()
        phase = .closing
    }
}
