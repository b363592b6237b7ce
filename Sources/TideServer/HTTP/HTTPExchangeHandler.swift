import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import TideModel

/// Serves the requests of one HTTP/1.1 connection: admits each request on its head
/// (``Admission``: credentials and rate limits, before any of the body is read), collects its
/// body (bounded), then answers it with a direct endpoint on the event loop (`/graphql`, `/healthz`) or with
/// Hummingbird's router in a task (every other route), and writes the response on the loop.
///
/// Hummingbird's own HTTP/1 channel drives each connection from a task through an async
/// channel, and every request part and response part crosses between that task and the event
/// loop. Measured here, that machinery and the task hops cost more CPU than the GraphQL
/// request they carried: a query answered on the loop, with no task at all, leaves the cores
/// to the work (docs/DESIGN.md, "Requests answered on the event loop").
///
/// Requests are answered one at a time: NIO's `HTTPServerPipelineHandler` ahead of this handler
/// holds back a pipelined request until the previous response has ended, and closes idle
/// connections when the server quiesces.
final class HTTPExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    /// The router as Hummingbird builds it, with our request context.
    typealias Responder = @Sendable (Request, TidewaterRequestContext) async throws -> Response

    private enum State {
        case idle
        case collecting(HTTPRequest, ByteBuffer, Principal)
        /// Answered before the end of the request (body too large, refused upgrade): the rest
        /// is read and dropped, so the client gets to read the answer, then the connection
        /// closes once the answer is written.
        case refused(written: EventLoopFuture<Void>)
        case responding
    }

    private let responder: Responder
    private let admission: Admission
    private let endpoints: [String: any DirectEndpoint]
    private let maxBodyBytes: Int
    private let logger: Logger
    private var state = State.idle
    /// The peer's address, formatted once per connection: rate limits key anonymous callers by it.
    private var peerAddress = ClientAddress.address(of: nil)

    /// `endpoints` by path are served on the event loop; every other path goes to `responder`.
    init(
        responder: @escaping Responder, admission: Admission, endpoints: [String: any DirectEndpoint], maxBodyBytes: Int,
        logger: Logger
    ) {
        self.responder = responder
        self.admission = admission
        self.endpoints = endpoints
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// Added once the upgrade is declined, on a connected channel.
    func handlerAdded(context: ChannelHandlerContext) {
        peerAddress = ClientAddress.address(of: context.channel.remoteAddress)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            if head.headerFields[.upgrade] != nil {
                // The upgrader declined it: another path, or no graphql-transport-ws offered.
                return refuse(
                    .badRequest, "WebSocket connections are served on /graphql with the subprotocol graphql-transport-ws.",
                    context: context)
            }
            if let length = head.headerFields[.contentLength].flatMap(Int.init), length > maxBodyBytes {
                return refuse(.contentTooLarge, "The request body exceeds \(maxBodyBytes) bytes.", context: context)
            }
            let principal: Principal
            switch admission.admit(head, path: Self.path(head), peerAddress: peerAddress) {
            case .admitted(let admitted): principal = admitted
            case .refused(let reply): return refuse(reply, context: context)
            }
            if head.headerFields[.expect]?.lowercased() == "100-continue" {
                // The client waits for this before sending the body (RFC 9110 §10.1.1).
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
            state = .collecting(head, context.channel.allocator.buffer(capacity: 0), principal)
        case (.body(var part), .collecting(let head, var body, let principal)):
            guard body.readableBytes + part.readableBytes <= maxBodyBytes else {
                return refuse(.contentTooLarge, "The request body exceeds \(maxBodyBytes) bytes.", context: context)
            }
            // Give up the state's reference first, so that appending does not copy the buffer.
            state = .responding
            body.writeBuffer(&part)
            state = .collecting(head, body, principal)
        case (.end, .collecting(let head, let body, let principal)):
            state = .responding
            if let endpoint = endpoints[String(Self.path(head))] {
                serve(head, body: body, principal: principal, with: endpoint, context: context)
            } else {
                route(Request(head: head, body: RequestBody(buffer: body)), context: context)
            }
        case (.end, .refused(let written)):
            // The refusal said "Connection: close"; the request has been read to its end.
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case (_, .refused):
            break
        default:
            // The pipeline handler delivers one request at a time; anything else is a bug.
            logger.error("HTTP request part out of order; closing the connection")
            context.close(promise: nil)
        }
    }

    private func refuse(_ status: HTTPResponse.Status, _ detail: String, context: ChannelHandlerContext) {
        refuse(ProblemResponse.reply(status, detail: detail), context: context)
    }

    private func refuse(_ reply: HTTPReply, context: ChannelHandlerContext) {
        var reply = reply
        reply.head.headerFields[.connection] = "close"
        state = .refused(written: write(reply, context: context))
    }

    /// The request's path without its query string.
    private static func path(_ head: HTTPRequest) -> Substring {
        head.path.map { $0.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] } ?? ""
    }

    /// Nothing read for the idle timeout: close, unless a request is being answered (the wait is
    /// then ours, not the client's).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .read? = event as? IdleStateHandler.IdleStateEvent else {
            return context.fireUserInboundEventTriggered(event)
        }
        switch state {
        case .idle, .collecting, .refused: context.close(promise: nil)
        case .responding: break
        }
    }

    /// An unparsable request (NIO's error handler has answered 400) or a socket error.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("HTTP connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func serve(
        _ head: HTTPRequest, body: ByteBuffer, principal: Principal, with endpoint: any DirectEndpoint, context: ChannelHandlerContext
    ) {
        let closes = Self.closes(head)
        switch endpoint.respond(to: head, body: body, principal: principal) {
        case .now(let reply):
            finish(reply, context: context, closes: closes)
        case .later(let body):
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            Task {
                let reply = await body()
                bound.execute { $0.handler.finish(reply, context: $0.context, closes: closes) }
            }
        }
    }

    /// Everything but the direct endpoints: Hummingbird's router, in a task.
    private func route(_ request: Request, context: ChannelHandlerContext) {
        let responder = self.responder
        let requestContext = TidewaterRequestContext(
            source: ApplicationRequestContextSource(channel: context.channel, logger: logger))
        let closes = Self.closes(request.head)
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let logger = self.logger
        Task {
            let response: Response
            do {
                response = try await responder(request, requestContext)
            } catch {
                // The router's problem middleware answers route errors; this is a last resort.
                logger.error("request failed outside the router", metadata: ["error": "\(error)"])
                response = ProblemResponse.make(.internalServerError, detail: "Internal server error.")
            }
            let collector = BodyCollector()
            let body: ByteBuffer
            do {
                try await response.body.write(collector)
                body = collector.buffer
            } catch {
                logger.error("response body failed", metadata: ["error": "\(error)"])
                bound.execute { $0.context.close(promise: nil) }
                return
            }
            bound.execute { $0.handler.finish(HTTPReply(head: response.head, body: body), context: $0.context, closes: closes) }
        }
    }

    private static func closes(_ request: HTTPRequest) -> Bool {
        request.headerFields[.connection]?.lowercased().contains("close") ?? false
    }

    private func finish(_ reply: HTTPReply, context: ChannelHandlerContext, closes: Bool) {
        guard case .responding = state else { return }
        state = .idle
        var reply = reply
        if closes { reply.head.headerFields[.connection] = "close" }
        let written = write(reply, context: context)
        if closes { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }

    @discardableResult
    private func write(_ reply: HTTPReply, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        var head = reply.head
        head.headerFields[.contentLength] = String(reply.body.readableBytes)
        head.headerFields[.date] = HTTPDate.now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if reply.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(reply.body)), promise: nil) }
        return context.writeAndFlush(wrapOutboundOut(.end(nil)))
    }
}

/// Collects a response body; our routes build theirs in memory. A class, because writing a
/// body consumes its writer.
private final class BodyCollector: ResponseBodyWriter {
    var buffer = ByteBuffer()

    func write(_ part: ByteBuffer) async throws {
        var part = part
        buffer.writeBuffer(&part)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

extension NIOLoopBound {
    /// Runs `body` with the value on its event loop: at once when already there.
    fileprivate func execute(_ body: @escaping @Sendable (Value) -> Void) {
        if eventLoop.inEventLoop {
            body(value)
        } else {
            eventLoop.execute { body(self.value) }
        }
    }
}
