import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// The server's HTTP/1.1 connections (ARCHITECTURE §7): plain requests go to the router;
/// `GET /graphql` offering the subprotocol `graphql-transport-ws` is upgraded to a WebSocket
/// served by a ``RealtimeConnection`` handler on the socket's event loop.
///
/// Hummingbird's WebSocket support runs every socket as a few Swift tasks behind an async
/// channel; a subscription server holds thousands of mostly idle sockets and writes each event
/// to all of them, so here a socket is a channel handler and nothing else: no task waits on it,
/// and the hub's events are written in place.
struct RealtimeServerChannel: ServerChildChannel, HTTPChannelHandler {
    static let subprotocol = "graphql-transport-ws"

    enum Negotiated: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade was asked for and refused (another path, or without the subprotocol).
        case refusedUpgrade(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case webSocket
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let responder: Responder
    let environment: RealtimeEnvironment
    let trustProxy: Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let refused = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<Negotiated>(
                maxFrameSize: environment.configuration.maxMessageBytes,
                shouldUpgrade: { channel, head in
                    guard Self.accepts(head) else {
                        refused.value = true
                        return channel.eventLoop.makeSucceededFuture(nil)
                    }
                    return channel.eventLoop.makeSucceededFuture(HTTPHeaders([("Sec-WebSocket-Protocol", Self.subprotocol)]))
                },
                upgradePipelineHandler: { [environment, trustProxy] channel, head in
                    channel.eventLoop.makeCompletedFuture {
                        let address = ClientAddress.resolve(
                            peer: channel.remoteAddress, forwardedFor: head.headers["X-Forwarded-For"], trustProxy: trustProxy)
                        try channel.pipeline.syncOperations.addHandler(
                            RealtimeConnection(environment: environment, clientAddress: address))
                        return .webSocket
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Negotiated>(
                upgradeConfiguration: NIOTypedHTTPServerUpgradeConfiguration(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            // The same pipeline as Hummingbird's HTTP/1 channel.
                            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(logger: logger))
                            let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                            return refused.value ? .refusedUpgrade(http) : .http(http)
                        }
                    }))
            // As Hummingbird configures it: the async channel pipelines requests, the router
            // handles errors, and HTTPTypes has validated the response headers.
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refusedUpgrade(let http):
                try await http.executeThenClose { _, outbound in
                    try await outbound.write(
                        contentsOf: [
                            .head(.init(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])), .end(nil),
                        ])
                }
            case .webSocket:
                // The RealtimeConnection handler serves the socket from here on.
                break
            }
        } catch {
            logger.debug("connection ended during HTTP negotiation", metadata: ["error": "\(error)"])
        }
    }

    /// `/graphql` (with or without a query string), offering our subprotocol.
    private static func accepts(_ head: HTTPRequestHead) -> Bool {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/graphql" else { return false }
        return head.headers["Sec-WebSocket-Protocol"]
            .flatMap { $0.split(separator: ",") }
            .contains { $0.trimmingCharacters(in: .whitespaces) == subprotocol }
    }
}
