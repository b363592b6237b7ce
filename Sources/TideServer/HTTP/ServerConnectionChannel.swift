import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// Every connection to the server (ARCHITECTURE §7), as Hummingbird's child channel: plain
/// HTTP/1.1 requests are served by an ``HTTPExchangeHandler``; a WebSocket upgrade of
/// `GET /graphql` becomes a WebSocket served by a ``RealtimeConnection`` handler on the socket's
/// event loop. One that does not offer the subprotocol `graphql-transport-ws` is accepted
/// without it and closed at once with 4406, as graphql-ws's reference server does.
///
/// Hummingbird's own channels run every connection as Swift tasks behind an async channel; a
/// subscription server holds thousands of mostly idle sockets and writes each event to all of
/// them, and a request's parts crossing between task and event loop cost more than a query, so
/// here a connection is channel handlers and nothing else.
struct ServerConnectionChannel: ServerChildChannel {
    static let subprotocol = "graphql-transport-ws"
    private static let idleHandlerName = "tidewater.idle"
    private static let guardHandlerName = "tidewater.negotiation-guard"

    enum Negotiated: Sendable {
        /// Served by an ``HTTPExchangeHandler`` until the connection closes.
        case http
        case webSocket
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let router: HTTPExchangeHandler.Responder
    /// Credentials and rate limits, checked on each request's head.
    let admission: Admission
    let endpoints: [String: any DirectEndpoint]
    let maxBodyBytes: Int
    /// Read-idle time after which an HTTP connection not being answered is closed.
    let idleTimeout: Duration
    let environment: RealtimeEnvironment
    let trustProxy: Bool
    /// Every accepted connection is tracked until it closes, for the bounded graceful stop.
    let connections: OpenConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        connections.add(channel)
        // A connection accepted just before a graceful shutdown can be set up on a later turn of its
        // event loop, after the server has closed its listener and told every connection it
        // accepted to finish: that message passed an empty pipeline and was lost, and NIO drops
        // the connection's value, so neither it nor a task would ever close the connection and
        // the shutdown would wait for its idle timeout. The closed listener says which case this
        // is (it is closed before the message is sent, so a connection that missed it sees it).
        if channel.parent?.isActive == false {
            logger.debug("closing a connection accepted as the server stopped")
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        return channel.eventLoop.makeCompletedFuture {
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: environment.configuration.maxMessageBytes,
                // RealtimeConnection answers frame errors itself (at most one close frame).
                enableAutomaticErrorHandling: false,
                shouldUpgrade: { channel, head in
                    // Another path goes on as a plain request, which HTTPExchangeHandler answers.
                    guard Self.isGraphQLPath(head) else { return channel.eventLoop.makeSucceededFuture(nil) }
                    // Without our subprotocol the answer names none (RFC 6455 §4.2.2) and the socket
                    // closes with 4406 right after the upgrade.
                    let headers = Self.offersSubprotocol(head) ? HTTPHeaders([("Sec-WebSocket-Protocol", Self.subprotocol)]) : HTTPHeaders()
                    return channel.eventLoop.makeSucceededFuture(headers)
                },
                upgradePipelineHandler: { [environment, trustProxy] channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        // A WebSocket keeps itself alive with protocol pings (RealtimeConnection).
                        channel.pipeline.syncOperations.removeHandler(name: Self.idleHandlerName, promise: nil)
                        channel.pipeline.syncOperations.removeHandler(name: Self.guardHandlerName, promise: nil)
                        let address = ClientAddress.resolve(
                            peer: channel.remoteAddress, forwardedFor: head.headers["X-Forwarded-For"], trustProxy: trustProxy)
                        try channel.pipeline.syncOperations.addHandler(
                            RealtimeConnection(
                                environment: environment, clientAddress: address,
                                refusal: Self.offersSubprotocol(head) ? nil : .subprotocolNotAcceptable))
                        return .webSocket
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
                upgradeConfiguration: NIOTypedHTTPServerUpgradeConfiguration(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { [router, admission, endpoints, maxBodyBytes] channel in
                        channel.eventLoop.makeCompletedFuture {
                            channel.pipeline.syncOperations.removeHandler(name: Self.guardHandlerName, promise: nil)
                            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                            try channel.pipeline.syncOperations.addHandler(
                                HTTPExchangeHandler(
                                    responder: router, admission: admission, endpoints: endpoints, maxBodyBytes: maxBodyBytes,
                                    logger: logger))
                            return .http
                        }
                    }))
            // NIO's pipelining handler serves requests one at a time and closes idle
            // connections on shutdown; its error handler answers unparsable requests with 400.
            configuration.enablePipelining = true
            configuration.enableErrorHandling = true
            configuration.enableResponseHeaderValidation = false
            // Nothing read for `idleTimeout` fires an event that the NegotiationGuard (before the
            // first request) or the HTTPExchangeHandler (after it) acts on.
            try channel.pipeline.syncOperations.addHandler(
                IdleStateHandler(readTimeout: TimeAmount(idleTimeout)), name: Self.idleHandlerName)
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            try channel.pipeline.syncOperations.addHandler(NegotiationGuard(), name: Self.guardHandlerName)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    /// Returns when the connection has closed, so that a graceful shutdown waits for
    /// in-flight HTTP requests (the handlers close idle connections when told to quiesce).
    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http:
                try await withTaskCancellationHandler {
                    try await value.channel.closeFuture.get()
                } onCancel: {
                    value.channel.close(promise: nil)
                }
            case .webSocket:
                // The RealtimeConnection handler serves the socket from here on.
                break
            }
        } catch {
            logger.debug("connection ended during HTTP negotiation", metadata: ["error": "\(error)"])
        }
    }

    /// `/graphql`, with or without a query string.
    private static func isGraphQLPath(_ head: HTTPRequestHead) -> Bool {
        head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first == "/graphql"
    }

    private static func offersSubprotocol(_ head: HTTPRequestHead) -> Bool {
        head.headers["Sec-WebSocket-Protocol"]
            .flatMap { $0.split(separator: ",") }
            .contains { $0.trimmingCharacters(in: .whitespaces) == subprotocol }
    }
}

/// Closes the connection until its first request head has arrived (and the upgrade is decided),
/// when nothing else would: after an unparsable request, which NIO's error handler has answered
/// with 400, and when the client sends nothing (or only part of a head) for the idle timeout.
private final class NegotiationGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            context.close(promise: nil)
        } else {
            context.fireErrorCaught(error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .read? = event as? IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
