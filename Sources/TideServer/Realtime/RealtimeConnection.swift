import Foundation
import HTTPTypes
import NIOCore
import NIOWebSocket
import TideGraphQL
import TideModel
import TideStore

/// One graphql-transport-ws connection, as a channel handler on the socket's event loop: it
/// carries out what ``RealtimeStateMachine`` (the protocol's rules) and ``WebSocketFraming``
/// (RFC 6455) decide, checks credentials and limits, runs operations, and writes feed events.
/// Client messages, feed entries (from ``FeedHub`` via ``LoopConnections``), timers and
/// finished queries all arrive on that loop, one at a time, and every message goes straight
/// onto the socket: no task, queue or async writer per connection.
///
/// Because everything runs on one loop in order, the connection always knows its feed
/// `position`: the seq of the last entry it has dispatched, or the hub's position when it
/// registered. A subscription starts live after `position`; one that resumes from N first
/// replays (N, position] (``FeedReplay``) and then goes live after `position`.
///
/// A connection bounds what it lets pile up: once the socket stops taking data (NIO's write
/// buffer is above its high-water mark), more than ``RealtimeConfiguration/queueCapacity`` feed
/// entries handed to it close it with 4413; the client resumes from its last `seq`.
final class RealtimeConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// A class, not a struct: every event is checked against it on every connection.
    final class Stream {
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
    private var machine: RealtimeStateMachine<Stream>
    private var framing: WebSocketFraming
    private var context: ChannelHandlerContext?
    /// The frame encoder's context: writing there sends ready-made frames (``OutgoingMessage``)
    /// past the encoder, so a message shared by many sockets is not framed again for each.
    private var framedWriter: ChannelHandlerContext?
    private var registered = false
    private var position: Int64 = 0
    /// Tracked from writability events: cheaper than asking the channel for every event.
    private var writable = true
    /// Feed entries handed over since the socket stopped taking data.
    private var behind = 0
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
        self.machine = RealtimeStateMachine(maxOperations: environment.configuration.maxOperationsPerConnection, now: .now())
        self.framing = WebSocketFraming(maxMessageBytes: environment.configuration.maxMessageBytes)
    }

    private var epochSeconds: Int64 {
        Int64(environment.now().timeIntervalSince1970.rounded(.down))
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        framedWriter = try? context.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        if let refusal { return perform(machine.close(refusal)) }
        let loop = context.eventLoop.assumeIsolated()
        initTimer = loop.scheduleTask(in: TimeAmount(environment.configuration.initTimeout)) { [self] in
            perform(machine.initTimedOut())
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
        machine.heard(at: .now())
        switch framing.receive(unwrapInboundIn(data)) {
        case .none:
            break
        case .message(let text):
            if machine.isClosing { break }
            do throws(ClientMessage.Violation) {
                let message = try ClientMessage(text: text.readableBytesView)
                perform(machine.receive(message, now: epochSeconds))
            } catch {
                perform(machine.close(.badRequest(error.message)))
            }
        case .reply(let frame):
            write(frame)
        case .fail(let reason):
            perform(machine.close(reason))
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
            return perform(machine.close(CloseReason(code: 1001, reason: "Server shutting down")))
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A broken socket or a frame NIO could not decode: either way the connection is over,
        // since the decoder reads nothing more. A frame error is answered with a close frame
        // saying why, unless ours is already out: RFC 6455 allows one close frame, so the
        // upgrader's own error handler (which would send a second) is off.
        let closeFrameSent = machine.isClosing
        end()
        guard let error = error as? NIOWebSocketError, !closeFrameSent else { return context.close(promise: nil) }
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: error == .invalidFrameLength ? .messageTooLarge : .protocolError)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    // MARK: - Actions

    private func perform(_ action: RealtimeStateMachine<Stream>.Action) {
        switch action {
        case .none:
            break
        case .authenticate(let payload):
            authenticate(payload)
        case .send(let message):
            send(message)
        case .start(let id, let request, let resumeFrom, let caller):
            start(id, request, resumeFrom: resumeFrom, caller: caller)
        case .stop:
            environment.metrics.realtimeSubscriptionEnded()
        case .close(let reason, let closing):
            if let errors = closing.errors {
                for (id, _) in closing.streams { send(ServerMessage.error(id: id, errors: errors)) }
            }
            release(closing)
            sendClose(reason)
        }
    }

    /// `connection_init`: the payload's `Authorization` / `x-api-key` entries are checked like
    /// the HTTP headers of the same names; none at all makes an anonymous connection.
    private func authenticate(_ payload: [String: JSONValue]) {
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
            return perform(machine.close(.forbidden))
        }
        let key = authenticated.principal == .anonymous ? "ip:" + clientAddress : authenticated.principal.actor
        guard environment.connections.acquire(key) else { return perform(machine.close(.tooManyConnections)) }
        var apiKey: RequestCredentials?
        if case .apiKey = credentials { apiKey = credentials }
        let caller = RealtimeCaller(principal: authenticated.principal, expiresAt: authenticated.expiresAt, key: key, apiKey: apiKey)
        initTimer?.cancel()
        initTimer = nil
        position = environment.hub.register(self, on: context.eventLoop)
        registered = true
        environment.metrics.realtimeConnectionOpened()
        perform(machine.acknowledge(caller))
        scheduleExpiry()
    }

    private func start(_ id: String, _ request: GraphQLRequest, resumeFrom: Int64?, caller: RealtimeCaller) {
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
            machine.started(id, .single)
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
                let replay = environment.replay.run(subscription, after: resumeFrom, upTo: position) { payload in
                    send(ServerMessage.next(id: id, payload: payload))
                    environment.metrics.realtimeEventSent()
                }
                switch replay {
                case .resumed(let floor): after = floor
                case .refused(let errors): return send(ServerMessage.error(id: id, errors: errors))
                }
            }
            machine.started(id, .stream(Stream(subscription: subscription, after: after)))
            environment.metrics.realtimeSubscriptionStarted()
        }
    }

    private func finish(_ id: String, _ response: GraphQLResponse) {
        // Completed by the client meanwhile, or the connection is closing: nothing more is sent.
        guard machine.finished(id) else { return }
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
        guard machine.caller != nil else { return }
        if !writable {
            behind += entries.count
            if behind > environment.configuration.queueCapacity {
                environment.metrics.realtimeOverflowClose()
                return perform(machine.close(.overflow))
            }
        }
        for entry in entries where entry.seq > position {
            position = entry.seq
            for (id, stream) in machine.streams where entry.seq > stream.after {
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
            switch machine.keepalive(now: .now(), period: period) {
            case .stop:
                return
            case .wait:
                break
            case .timedOut(let action):
                return perform(action)
            case .ping(let caller):
                if let apiKey = caller.apiKey, (try? environment.authenticate(apiKey)) == nil {
                    return perform(
                        machine.expire(
                            "The API key was revoked or expired: connect again with a valid key and resume from the last seq.",
                            close: .apiKeyRevoked))
                }
                if environment.configuration.pingInterval != nil { send(ServerMessage.ping) }
                write(WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer()))
                flush()
            }
            scheduleKeepalive()
        }
    }

    /// The token's expiry ends the connection on time even when nothing else happens on it.
    private func scheduleExpiry() {
        guard let expiresAt = machine.caller?.expiresAt, let context else { return }
        let seconds = max(0, Double(expiresAt) - environment.now().timeIntervalSince1970)
        expiryTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(seconds * 1000) + 10)) {
            [self] in
            switch machine.expiryDue(now: epochSeconds) {
            case .stop: break
            case .expired(let action): perform(action)
            case .notYet: scheduleExpiry()
            }
        }
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

    /// Sends the close frame: no more events or messages; the socket closes when the client
    /// answers, or after ``closeTimeout``.
    private func sendClose(_ reason: CloseReason) {
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

    /// Releases what the connection held: its timers, and for an acknowledged one its hub
    /// registration, its slot in the per-caller limit and its metrics.
    private func release(_ closing: RealtimeStateMachine<Stream>.Closing) {
        for timer in [initTimer, keepaliveTimer, expiryTimer] { timer?.cancel() }
        (initTimer, keepaliveTimer, expiryTimer) = (nil, nil, nil)
        guard let caller = closing.caller else { return }
        if registered, let context {
            environment.hub.unregister(self, on: context.eventLoop)
            registered = false
        }
        environment.connections.release(caller.key)
        for _ in closing.streams { environment.metrics.realtimeSubscriptionEnded() }
        environment.metrics.realtimeConnectionClosed()
    }

    /// The socket is gone: release what is held, once.
    private func end() {
        if let closing = machine.end() { release(closing) }
    }
}
