import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import TideModel

/// A graphql-transport-ws client over a real WebSocket (SwiftNIO's client upgrade and frame
/// codec, on its own event loop), for tests. Every wait is bounded.
///
/// With `reading: false` the client does not read the socket until `startReading()`, like a
/// device that stopped draining its connection: the kernel's buffers fill up on both ends.
public final class GraphQLSocket: Sendable {
    struct State {
        var received: [JSONValue] = []
        /// Set when the TCP connection is gone.
        var ended = false
        /// The server's close code, once its close frame arrived.
        var closeCode: Int?
        /// The reason text of the server's close frame.
        var closeReason: String?
    }

    fileprivate let state: SharedState
    private let channel: any Channel

    private init(channel: any Channel, state: SharedState) {
        self.channel = channel
        self.state = state
    }

    /// Opens a socket to the server's `/graphql` (offering the subprotocol unless told not to).
    public static func connect(
        _ server: ServerProcess, subprotocol: String? = "graphql-transport-ws", reading: Bool = true,
        timeout: Duration = .seconds(10)
    ) async throws -> GraphQLSocket {
        let host = server.baseURL.host!, port = server.baseURL.port!
        let state = SharedState()
        let (channel, upgraded) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(TimeAmount(timeout))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Void>(maxFrameSize: 1 << 26) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(SocketHandler(state: state))
                        }
                    }
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/graphql")
                    head.headers.add(name: "Host", value: "\(host):\(port)")
                    if let subprotocol { head.headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: .init(upgradeRequestHead: head, upgraders: [upgrader]) { channel in
                            channel.eventLoop.makeFailedFuture(TestFailure("GET /graphql was not upgraded to a WebSocket"))
                        })
                    // Frames that arrive with the 101 response are the server's first messages.
                    configuration.leftOverBytesStrategy = .forwardBytes
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: configuration)
                    return (channel, upgraded)
                }
            }
        do {
            try await upgraded.get(within: timeout, "the WebSocket upgrade")
        } catch {
            try? await channel.close()
            throw error
        }
        if !reading { try await channel.setOption(ChannelOptions.autoRead, value: false).get() }
        return GraphQLSocket(channel: channel, state: state)
    }

    /// Stops reading the socket, like a client that hangs: what the server sends from here on
    /// (its close frame too) stays unread and unanswered.
    public func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    public func startReading() {
        channel.setOption(ChannelOptions.autoRead, value: true).whenSuccess { [channel] in channel.read() }
    }

    public func send(_ message: JSONValue) async throws {
        try await sendText(message.jsonString)
    }

    public func sendText(_ text: String) async throws {
        do {
            try await channel.writeAndFlush(Self.frame(.text, ByteBuffer(string: text))).get(within: .seconds(10), "sending a message")
        } catch {
            // NIO only says the channel is closed; the server's close code says why.
            throw TestFailure("\(error) (the server's close code: \(closeCode.map(String.init) ?? "none"))")
        }
    }

    /// One text message sent as several WebSocket frames (a first frame and continuations).
    public func sendFragmented(_ text: String, pieces: Int) async throws {
        let bytes = Array(text.utf8)
        let size = max(1, (bytes.count + pieces - 1) / pieces)
        for start in stride(from: 0, to: bytes.count, by: size) {
            let end = min(start + size, bytes.count)
            let frame = Self.frame(start == 0 ? .text : .continuation, ByteBuffer(bytes: bytes[start..<end]), fin: end == bytes.count)
            try await channel.writeAndFlush(frame).get(within: .seconds(10), "sending a frame")
        }
    }

    /// A client frame: RFC 6455 has clients mask every frame (the encoder applies the key).
    fileprivate static func frame(_ opcode: WebSocketOpcode, _ data: ByteBuffer, fin: Bool = true) -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, maskKey: .random(), data: data)
    }

    /// The next message, skipping the server's protocol pings unless `skipPings` is false.
    public func next(timeout: Duration = .seconds(10), skipPings: Bool = true) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (message, ended) = state.withLock { state -> (JSONValue?, Bool) in
                while !state.received.isEmpty {
                    let first = state.received.removeFirst()
                    if skipPings && first["type"] == "ping" { continue }
                    return (first, false)
                }
                return (nil, state.ended)
            }
            if let message { return message }
            if ended { throw TestFailure("the socket closed (code \(closeCode.map(String.init) ?? "none")) while waiting for a message") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestFailure("no message within \(timeout)")
    }

    /// Messages received and not yet taken (by ``next(timeout:skipPings:)`` or ``takeAll()``).
    public var unreadCount: Int { state.withLock { $0.received.count } }

    /// Every message received and not yet taken, at once.
    public func takeAll() -> [JSONValue] {
        state.withLock { state in
            defer { state.received = [] }
            return state.received
        }
    }

    /// Waits up to `first` for a message, then until none arrives for `quiet`; returns them all.
    public func drain(first: Duration = .seconds(10), quiet: Duration = .seconds(1)) async throws -> [JSONValue] {
        var messages = [try await next(timeout: first)]
        while let message = try? await next(timeout: quiet) { messages.append(message) }
        return messages
    }

    /// The close code the server sent, once the socket has ended.
    public func closeCode(timeout: Duration = .seconds(15)) async throws -> Int? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (ended, code) = state.withLock { ($0.ended, $0.closeCode) }
            if ended { return code }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("the socket did not close within \(timeout)")
    }

    private var closeCode: Int? { state.withLock { $0.closeCode } }

    /// The reason text of the server's close frame, once it arrived.
    public var closeReason: String? { state.withLock { $0.closeReason } }

    public func close() async {
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .normalClosure)
        try? await channel.writeAndFlush(Self.frame(.connectionClose, code)).get(within: .seconds(5), "sending close")
        _ = try? await closeCode(timeout: .seconds(5))
        try? await channel.close()
    }

    // MARK: - Protocol steps

    /// `connection_init` with `payload` (the credentials), expecting `connection_ack`.
    public func initialize(_ payload: [String: String] = [:]) async throws {
        try await send(["type": "connection_init", "payload": .object(payload.mapValues(JSONValue.string))])
        let reply = try await next()
        guard reply["type"] == "connection_ack" else { throw TestFailure("expected connection_ack, got \(reply.jsonString)") }
    }

    public func subscribe(
        _ id: String, _ query: String, variables: JSONValue = [:], resumeFrom: Int64? = nil
    ) async throws {
        var payload: [String: JSONValue] = ["query": .string(query), "variables": variables]
        if let resumeFrom { payload["extensions"] = ["resumeFrom": .int(resumeFrom)] }
        try await send(["type": "subscribe", "id": .string(id), "payload": .object(payload)])
    }

    /// The next `next` message's payload for `id`, failing on any other message.
    public func nextEvent(_ id: String, timeout: Duration = .seconds(10)) async throws -> JSONValue {
        let message = try await next(timeout: timeout)
        guard message["type"] == "next", message["id"] == .string(id), let payload = message["payload"] else {
            throw TestFailure("expected next for \(id), got \(message.jsonString)")
        }
        return payload
    }

    /// Runs a query or mutation over the socket: its one `next` payload, then `complete`.
    public func execute(_ id: String, _ query: String, variables: JSONValue = [:]) async throws -> JSONValue {
        try await subscribe(id, query, variables: variables)
        let payload = try await nextEvent(id)
        let done = try await next()
        guard done["type"] == "complete", done["id"] == .string(id) else { throw TestFailure("expected complete, got \(done.jsonString)") }
        return payload
    }
}

extension JSONValue {
    /// The first GraphQL error of an `error` message (its payload is the list of errors).
    public var firstError: JSONValue? { self["payload"]?.arrayValue?.first }
}

/// What the socket's handler records and the test reads.
private final class SharedState: Sendable {
    private let mutex = Mutex(GraphQLSocket.State())

    func withLock<R: Sendable>(_ body: (inout GraphQLSocket.State) -> R) -> R {
        mutex.withLock { body(&$0) }
    }
}

/// The client end after the upgrade, on the socket's event loop: assembles text messages,
/// answers pings, records the server's close code and answers its close.
private final class SocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let state: SharedState
    private var partial: ByteBuffer?

    init(state: SharedState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            var data = frame.data
            if partial == nil { partial = data } else { partial!.writeBuffer(&data) }
            guard frame.fin, let message = partial else { return }
            partial = nil
            if let json = try? JSONParser.parse(Array(message.readableBytesView)) {
                state.withLock { $0.received.append(json) }
            }
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.data)), promise: nil)
        case .connectionClose:
            var data = frame.data
            let code = data.readInteger(as: UInt16.self).map(Int.init)
            let reason = data.readString(length: data.readableBytes)
            state.withLock {
                if $0.closeCode == nil { ($0.closeCode, $0.closeReason) = (code ?? 1005, reason) }
            }
            // The closing handshake: answer with the same code, then the connection is over.
            var echo = ByteBuffer()
            if let code { echo.writeInteger(UInt16(code)) }
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)), promise: nil)
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.withLock { $0.ended = true }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
