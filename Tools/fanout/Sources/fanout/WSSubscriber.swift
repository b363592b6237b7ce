import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// One Tidewater subscriber: a graphql-transport-ws socket that sends `connection_init` with
/// the bearer token, subscribes to `onCreateNote { id }` (`query`, which has no characters JSON
/// would escape) with operation id `id`, and records every `next`.
///
/// graphql-transport-ws does not acknowledge a subscribe, but the server handles a
/// connection's messages in order: once it answers a `ping` sent after the subscribe, the
/// subscription is live. That `pong` is what `start` waits for.
///
/// Messages are timestamped in a channel handler, on the socket's event loop, as soon as the
/// frame that completes them is decoded: the same path as the PocketBase side's events.
enum WSSubscriber {
    /// Connects, upgrades and subscribes; returns once the subscription is live, or throws
    /// (at the latest `timeout` after the socket is created).
    static func start(
        host: String, port: Int, token: String, id: String, query: String, group: any EventLoopGroup, log: SubscriberLog,
        recorder: Recorder, timeout: TimeAmount
    ) async throws {
        let ready: EventLoopFuture<Void> = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ready = channel.eventLoop.makePromise(of: Void.self)
                    let upgrader = NIOTypedWebSocketClientUpgrader<Void>(maxFrameSize: 1 << 16) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                GraphQLWSHandler(id: id, query: query, log: log, recorder: recorder, ready: ready))
                        }
                    }
                    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/graphql")
                    head.headers.add(name: "Host", value: "\(host):\(port)")
                    head.headers.add(name: "Sec-WebSocket-Protocol", value: "graphql-transport-ws")
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
                        upgradeConfiguration: .init(upgradeRequestHead: head, upgraders: [upgrader]) { channel in
                            channel.eventLoop.makeFailedFuture(ClientError("GET /graphql was not upgraded to a WebSocket"))
                        })
                    // Bytes read with the 101 response are WebSocket frames: hand them on, not drop them.
                    configuration.leftOverBytesStrategy = .forwardBytes
                    let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: configuration)
                    upgraded.whenComplete { result in
                        switch result {
                        case .success:
                            // Only now: the upgrade handler fails writes until the upgrade is done.
                            channel.writeAndFlush(
                                textFrame(#"{"type":"connection_init","payload":{"Authorization":"Bearer \#(token)"}}"#),
                                promise: nil)
                        case .failure(let error):
                            log.fail("\(error)")
                            ready.fail(error)
                        }
                    }
                    let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                        ready.fail(ClientError("not subscribed within \(timeout)"))
                    }
                    ready.futureResult.whenComplete { _ in deadline.cancel() }
                    return ready.futureResult
                }
            }
        try await ready.get()
    }

    /// A text frame, masked: RFC 6455 requires a client to mask every frame it sends.
    static func textFrame(_ text: String) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
    }
}

/// The graphql-transport-ws conversation of one subscriber, after the upgrade. Touched only on
/// its channel's event loop.
private final class GraphQLWSHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// The `subscribe` message, sent after `connection_ack`.
    private let subscribe: String
    private let log: SubscriberLog
    private let recorder: Recorder
    private let ready: EventLoopPromise<Void>
    /// The frames so far of a fragmented text message, nil between messages.
    private var fragments: ByteBuffer?

    init(id: String, query: String, log: SubscriberLog, recorder: Recorder, ready: EventLoopPromise<Void>) {
        self.subscribe = #"{"id":"\#(id)","type":"subscribe","payload":{"query":"\#(query)"}}"#
        self.log = log
        self.recorder = recorder
        self.ready = ready
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Stamp first: everything below is the client's own time.
        let now = ContinuousClock.now
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text where fragments == nil:
            if frame.fin {
                message(frame.unmaskedData, at: now, context: context)
            } else {
                fragments = frame.unmaskedData
            }
        case .continuation where fragments != nil:
            var part = frame.unmaskedData
            fragments!.writeBuffer(&part)
            if frame.fin, let whole = fragments.take() {
                message(whole, at: now, context: context)
            }
        case .ping:
            // A control frame may come between a message's fragments; it leaves them alone.
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break  // unsolicited (this client sends no ping frames): RFC 6455 says ignore it
        case .connectionClose:
            var body = frame.unmaskedData
            let code = body.readWebSocketErrorCode()
            fail("socket closed by the server (\(code.map { "\($0)" } ?? "no code") \(String(buffer: body)))")
            var echo = ByteBuffer()
            if let code { echo.write(webSocketErrorCode: code) }
            let reply = WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo)
            context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        default:
            fail("unexpected \(frame.opcode) frame (fin \(frame.fin), a text message in progress: \(fragments != nil))")
        }
    }

    /// One whole text message that arrived at `time`.
    private func message(_ buffer: ByteBuffer, at time: ContinuousClock.Instant, context: ChannelHandlerContext) {
        let isNext = buffer.withUnsafeReadableBytes { bytes -> Bool in
            guard contains(bytes, #""type":"next""#) else { return false }
            log.record(bytes, at: time, recorder: recorder)
            return true
        }
        if isNext { return }
        let text = String(buffer: buffer)
        if text.contains(#""type":"connection_ack""#) {
            context.write(
                wrapOutboundOut(WSSubscriber.textFrame(subscribe)),
                promise: nil)
            context.writeAndFlush(wrapOutboundOut(WSSubscriber.textFrame(#"{"type":"ping"}"#)), promise: nil)
        } else if text.contains(#""type":"pong""#) {
            ready.succeed(())
        } else if text.contains(#""type":"ping""#) {
            context.writeAndFlush(wrapOutboundOut(WSSubscriber.textFrame(#"{"type":"pong"}"#)), promise: nil)
        } else {
            fail("unexpected message: \(text.prefix(300))")
        }
    }

    /// Recorded for the run's report; also ends the wait in `start` if it is still waiting.
    private func fail(_ message: String) {
        log.fail(message)
        ready.fail(ClientError(message))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("the socket closed")
        context.fireChannelInactive()
    }

    private func contains(_ bytes: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        return needle.withUTF8Buffer { needle in
            for i in 0...(bytes.count - n) {
                var j = 0
                while j < n, bytes[i + j] == needle[j] { j += 1 }
                if j == n { return true }
            }
            return false
        }
    }
}
