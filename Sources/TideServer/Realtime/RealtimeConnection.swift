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
/// replays (N, position] page by page (``FeedReplay``), `position` moving on meanwhile, and goes
/// live after `position` once the replay has caught up with it.
///
/// A connection bounds what it lets pile up: once the socket stops taking data (NIO's write
/// buffer is above its high-water mark), more than ``RealtimeConfiguration/queueCapacity`` feed
/// entries handed to it close it with 4413; the client resumes from its last `seq`.
final class RealtimeConnection: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// A class, not a struct: every event is checked against it on every connection.
    final class Stream {
        /// Replaced when the caller's rights change (``recheckCredentials(standings:)``).
        var subscription: EventSubscription
        /// Counts those replacements: a replay page rendered with older rights is read again.
        var generation = 0
        /// The `subscribe` payload, prepared again when the caller's rights change.
        let request: GraphQLRequest
        /// Live entries up to this seq are skipped: they were replayed or predate the subscription.
        var after: Int64
        /// While a resume replay runs (live entries wait in the feed meanwhile): its `resumeFrom`,
        /// and the cursor at which it waits for the socket to take what it was sent, if it does.
        var replay: (from: Int64, waitingAt: Int64?)?

        init(subscription: EventSubscription, request: GraphQLRequest, after: Int64, replayingFrom: Int64? = nil) {
            self.subscription = subscription
            self.request = request
            self.after = after
            self.replay = replayingFrom.map { ($0, nil) }
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
        if writable {
            behind = 0
            resumeWaitingReplays()
        }
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
        var authenticated: AuthenticatedCaller
        do {
            credentials = try RequestCredentials(headers)
            authenticated = try environment.authenticate(credentials)
        } catch {
            return perform(machine.close(.forbidden))
        }
        // The token carries the groups of its login; a socket may stay open for its whole
        // lifetime, so it acts with the user's groups as they are now, and not for a removed user.
        if case .user(let user) = authenticated.principal {
            switch environment.standing(user) {
            case .unchanged: break
            case .regrouped(let current): authenticated.principal = .user(current)
            case .removed: return perform(machine.close(.userRemoved))
            }
        }
        let key = CallerKey.of(authenticated.principal, clientAddress: clientAddress)
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
            if environment.admission.operation(by: caller.key) != nil {
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
            guard let resumeFrom, resumeFrom < position else {
                if let resumeFrom, let errors = environment.replay.refusal(resumingFrom: resumeFrom) {
                    return send(ServerMessage.error(id: id, errors: errors))
                }
                machine.started(id, .stream(Stream(subscription: subscription, request: request, after: max(position, resumeFrom ?? 0))))
                return environment.metrics.realtimeSubscriptionStarted()
            }
            let stream = Stream(subscription: subscription, request: request, after: resumeFrom, replayingFrom: resumeFrom)
            machine.started(id, .stream(stream))
            environment.metrics.realtimeSubscriptionStarted()
            replay(id, stream, after: resumeFrom)
        }
    }

    // MARK: - Resume replay

    /// Asks for the page of `stream`'s replay after `cursor`, or, once the replay has caught up
    /// with `position`, lets the subscription go live after it.
    private func replay(_ id: String, _ stream: Stream, after cursor: Int64) {
        // Completed by the client, or the connection closed: the replay stops.
        guard let context, machine.stream(id) === stream, let from = stream.replay?.from else { return }
        guard cursor < position else {
            stream.after = position
            stream.replay = nil
            return
        }
        let generation = stream.generation
        environment.replay.page(stream.subscription, after: cursor, upTo: position, resumedFrom: from, on: context.eventLoop)
            .assumeIsolated().whenComplete { [self] result in
                replayed(id, stream, result, after: cursor, generation: generation)
            }
    }

    /// A page of `stream`'s replay, on this connection's loop: sent, then the next one is asked
    /// for, once the socket takes more data.
    private func replayed(
        _ id: String, _ stream: Stream, _ result: Result<FeedReplay.Page, any Error>, after cursor: Int64, generation: Int
    ) {
        guard machine.stream(id) === stream else { return }
        // Rendered with rights the caller no longer has: read it again.
        guard stream.generation == generation else { return replay(id, stream, after: cursor) }
        switch result {
        case .success(.payloads(let payloads, let last)):
            for payload in payloads {
                send(ServerMessage.next(id: id, payload: payload))
                environment.metrics.realtimeEventSent()
            }
            flush()
            if writable {
                replay(id, stream, after: last)
            } else {
                stream.replay?.waitingAt = last
            }
        case .success(.refused(let errors)):
            failReplay(id, errors)
        case .failure(let error):
            // The thread pool has stopped: the server is shutting down.
            environment.logger.debug("realtime: replay stopped", metadata: ["error": "\(error)"])
            failReplay(id, ErrorJSON.list(message: "The server is shutting down.", code: .internalError))
        }
    }

    private func failReplay(_ id: String, _ errors: [UInt8]) {
        guard machine.failed(id) else { return }
        send(ServerMessage.error(id: id, errors: errors))
        environment.metrics.realtimeSubscriptionEnded()
        flush()
    }

    /// The socket takes data again: the replays that waited for it go on.
    private func resumeWaitingReplays() {
        for (id, stream) in machine.streams {
            guard let cursor = stream.replay?.waitingAt else { continue }
            stream.replay?.waitingAt = nil
            replay(id, stream, after: cursor)
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
            for (id, stream) in machine.streams where stream.replay == nil && entry.seq > stream.after {
                if let message = messages.next(stream.subscription, id: id, entry: entry) {
                    send(message)
                    environment.metrics.realtimeEventSent()
                }
            }
        }
        flush()
    }

    /// The identity database changed: a revoked API key or a removed user ends the connection
    /// (every subscription gets an `error`, then 4403); a user whose groups changed goes on with
    /// the new ones, and each subscription is prepared again with them: one they no longer allow
    /// gets an `error` and ends, the others carry on without a gap. `standings` caches each
    /// user's lookup for the rest of the pass over a loop's connections.
    func recheckCredentials(standings: inout [String: UserStanding]) {
        guard let caller = machine.caller else { return }
        if let apiKey = caller.apiKey, (try? environment.authenticate(apiKey)) == nil {
            return perform(
                machine.expire(
                    "The API key was revoked or expired: connect again with a valid key and resume from the last seq.",
                    close: .apiKeyRevoked))
        }
        guard case .user(let user) = caller.principal else { return }
        let standing: UserStanding
        if let known = standings[user.id] {
            standing = known
        } else {
            standing = environment.standing(user)
            standings[user.id] = standing
        }
        switch standing {
        case .unchanged:
            break
        case .removed:
            perform(machine.expire("The user was removed.", close: .userRemoved))
        case .regrouped(let current):
            reauthorize(caller, as: current)
        }
    }

    private func reauthorize(_ caller: RealtimeCaller, as user: UserIdentity) {
        let updated = RealtimeCaller(principal: .user(user), expiresAt: caller.expiresAt, key: caller.key, apiKey: caller.apiKey)
        let context = ExecutionContext(principal: updated.principal, allowsMutations: true)
        var kept: Set<String> = []
        var refusals: [String: [UInt8]] = [:]
        for (id, stream) in machine.streams {
            switch environment.engine.prepare(stream.request, context: context) {
            case .stream(let subscription):
                stream.subscription = subscription
                stream.generation += 1
                kept.insert(id)
            case .rejected(let errors):
                refusals[id] = errors
            case .single:
                // It was prepared as a subscription before, and the document has not changed.
                refusals[id] = ErrorJSON.list(message: "Internal server error.", code: .internalError)
            }
        }
        for id in machine.reauthorize(updated, keeping: kept) {
            if let errors = refusals[id] { send(ServerMessage.error(id: id, errors: errors)) }
            environment.metrics.realtimeSubscriptionEnded()
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
