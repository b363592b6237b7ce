import NIOCore
import NIOHTTP1
import NIOPosix

struct ClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One keep-alive HTTP/1.1 connection to a loopback server, one request at a time. Small on
/// purpose: the creator and PocketBase's subscription calls need nothing more.
final class HTTPConnection: Sendable {
    struct Response {
        var status: Int
        var body: [UInt8]
    }

    private let channel: any Channel
    private let collector: NIOLoopBound<ResponseCollector>
    private let host: String

    private init(channel: any Channel, collector: NIOLoopBound<ResponseCollector>, host: String) {
        self.channel = channel
        self.collector = collector
        self.host = host
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector())
                }
            }
            .connect(host: host, port: port).get()
        let collector = NIOLoopBound(
            try await channel.pipeline.handler(type: ResponseCollector.self).get(), eventLoop: channel.eventLoop)
        return HTTPConnection(channel: channel, collector: collector, host: "\(host):\(port)")
    }

    /// Sends one request and waits (at most `timeout`) for the whole response.
    func request(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], json body: [UInt8]? = nil,
        timeout: TimeAmount = .seconds(10)
    ) async throws -> Response {
        let promise = channel.eventLoop.makePromise(of: Response.self)
        let channel = channel, collector = collector, host = host
        channel.eventLoop.execute {
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            head.headers.add(name: "Host", value: host)
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            if let body {
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: String(body.count))
            }
            let number = collector.value.expect(promise)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            channel.eventLoop.scheduleTask(in: timeout) {
                if collector.value.fail(number, ClientError("\(method) \(path): no response within \(timeout)")) {
                    channel.close(promise: nil)
                }
            }
        }
        return try await promise.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Collects the response to the one request in flight. Touched only on its channel's event loop
/// (the connection holds it in a NIOLoopBound); unchecked so the pipeline lookup can hand it over.
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private var pending: EventLoopPromise<HTTPConnection.Response>?
    private var number = 0
    private var response = HTTPConnection.Response(status: 0, body: [])

    /// Returns the request's number, for `fail`.
    func expect(_ promise: EventLoopPromise<HTTPConnection.Response>) -> Int {
        pending?.fail(ClientError("a second request while one was in flight"))
        pending = promise
        number += 1
        return number
    }

    /// Fails request `number` if it is still waiting; true if it was.
    func fail(_ number: Int, _ error: any Error) -> Bool {
        guard number == self.number, let pending else { return false }
        self.pending = nil
        pending.fail(error)
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = .init(status: Int(head.status.code), body: [])
        case .body(let buffer):
            response.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            pending?.succeed(response)
            pending = nil
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(ClientError("connection closed"))
        pending = nil
        context.fireChannelInactive()
    }
}
