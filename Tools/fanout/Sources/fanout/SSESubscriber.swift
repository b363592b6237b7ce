import NIOCore
import NIOHTTP1
import NIOPosix

/// One PocketBase realtime subscriber: `GET /api/realtime` (server-sent events), the
/// `PB_CONNECT` event's clientId, then `POST /api/realtime` subscribing that client to `notes`.
///
/// Events are timestamped in the channel handler, on the socket's event loop, as soon as the
/// bytes that complete them are read.
enum SSESubscriber {
    /// Connects and subscribes; returns once PocketBase has accepted the subscription.
    static func start(
        host: String, port: Int, group: any EventLoopGroup, log: SubscriberLog, recorder: Recorder,
        setup: HTTPConnection, timeout: TimeAmount
    ) async throws -> any Channel {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        EventStreamHandler(log: log, recorder: recorder, connected: channel.eventLoop.makePromise()))
                }
            }
            .connect(host: host, port: port).get()
        let handler = try await channel.pipeline.handler(type: EventStreamHandler.self).get()
        let connected = handler.connected
        channel.eventLoop.execute {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/realtime")
            head.headers.add(name: "Host", value: "\(host):\(port)")
            head.headers.add(name: "Accept", value: "text/event-stream")
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            channel.eventLoop.scheduleTask(in: timeout) {
                connected.fail(ClientError("no PB_CONNECT within \(timeout)"))
            }
        }
        let clientID = try await connected.futureResult.get()
        let body = Array(#"{"clientId":"\#(clientID)","subscriptions":["notes"]}"#.utf8)
        let response = try await setup.request(.POST, "/api/realtime", json: body)
        guard response.status == 204 || response.status == 200 else {
            throw ClientError("POST /api/realtime: HTTP \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return channel
    }
}

/// Splits the event stream into events (blank-line separated) and records each. Touched only
/// on its channel's event loop; unchecked so the pipeline lookup can hand out its promise.
private final class EventStreamHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    let log: SubscriberLog
    let recorder: Recorder
    let connected: EventLoopPromise<String>
    private var isConnected = false
    private var pending: [UInt8] = []

    init(log: SubscriberLog, recorder: Recorder, connected: EventLoopPromise<String>) {
        self.log = log
        self.recorder = recorder
        self.connected = connected
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status != .ok { fail("GET /api/realtime: HTTP \(head.status.code)") }
        case .body(let buffer):
            let now = ContinuousClock.now
            pending.append(contentsOf: buffer.readableBytesView)
            consumeEvents(at: now)
        case .end:
            fail("the event stream ended")
        }
    }

    /// Handles every complete event in `pending` (an event ends with an empty line).
    private func consumeEvents(at time: ContinuousClock.Instant) {
        var start = 0
        var i = 0
        while i + 1 < pending.count {
            guard pending[i] == 10, pending[i + 1] == 10 else {
                i += 1
                continue
            }
            let event = start..<i
            if isConnected {
                pending[event].withUnsafeBytes { log.record($0, at: time, recorder: recorder) }
            } else if let id = clientID(in: Array(pending[event])) {
                isConnected = true
                connected.succeed(id)
            }
            i += 2
            start = i
        }
        pending.removeFirst(start)
    }

    /// The clientId of the `PB_CONNECT` event: `data:{"clientId":"…"}`.
    private func clientID(in event: [UInt8]) -> String? {
        let text = String(decoding: event, as: UTF8.self)
        guard text.contains("event:PB_CONNECT"), let key = text.range(of: #""clientId":""#) else { return nil }
        let rest = text[key.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    private func fail(_ message: String) {
        log.fail(message)
        if !isConnected {
            isConnected = true
            connected.fail(ClientError(message))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)")
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail("the event stream's connection closed")
        context.fireChannelInactive()
    }
}
