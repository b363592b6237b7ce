import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// WebSocket `GET /graphql` with the subprotocol `graphql-transport-ws` (ARCHITECTURE §7), on
/// the HTTP server's port. A request that does not offer the subprotocol is not upgraded and is
/// answered as a plain `GET /graphql`.
struct RealtimeRoutes {
    static let subprotocol = "graphql-transport-ws"

    let environment: RealtimeEnvironment
    let trustProxy: Bool

    /// The router the HTTP server consults for upgrades.
    func router() -> Router<RealtimeRequestContext> {
        let router = Router(context: RealtimeRequestContext.self)
        router.ws("/graphql") { request, _ in
            let offered = request.headers[values: .secWebSocketProtocol].flatMap {
                $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
            guard offered.contains(Self.subprotocol) else { return .dontUpgrade }
            return .upgrade([.secWebSocketProtocol: Self.subprotocol])
        } onUpgrade: { inbound, outbound, context in
            await serve(
                inbound, outbound, channel: context.requestContext.channel,
                clientAddress: context.requestContext.clientAddress(context.request, trustProxy: trustProxy))
        }
        return router
    }

    private func serve(
        _ inbound: WebSocketInboundStream, _ outbound: WebSocketOutboundWriter, channel: any Channel, clientAddress: String
    ) async {
        let configuration = environment.configuration
        let metrics = environment.metrics
        let inbox = ConnectionInbox(capacity: configuration.queueCapacity) {
            metrics.realtimeOverflowClose()
            // The connection closes with 4413 as soon as its task gets to it, but a client that
            // stopped reading may keep that task stuck in a write: then drop the socket.
            Task {
                try? await Task.sleep(for: .seconds(10))
                channel.close(promise: nil)
            }
        }
        let connection = RealtimeConnection(
            environment: environment, inbox: inbox, outbound: outbound, clientAddress: clientAddress)
        // The reader, the timer and the connection's task (the group's children inherit the
        // preference) run on the socket's own event loop: see EventLoopExecutor.
        await withTaskExecutorPreference(EventLoopExecutor(channel.eventLoop)) {
            await run(connection, inbox: inbox, inbound: inbound, configuration: configuration)
        }
    }

    private func run(
        _ connection: RealtimeConnection, inbox: ConnectionInbox, inbound: WebSocketInboundStream,
        configuration: RealtimeConfiguration
    ) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await message in inbound.messages(maxSize: configuration.maxMessageBytes) {
                        switch message {
                        case .text(let text):
                            inbox.post(.client(Result { () throws(ClientMessage.Violation) in try ClientMessage(text: text.utf8) }))
                        case .binary:
                            inbox.post(.client(.failure(.init(message: "Invalid message: binary frames are not part of the protocol"))))
                        }
                    }
                } catch {
                    // A protocol error or a broken socket: either way the client is gone.
                }
                inbox.post(.socketClosed)
            }
            group.addTask {
                // The init deadline, the ping interval and token expiry are checked at each tick:
                // one timer per connection, to the second.
                let period = min(configuration.pingInterval ?? .seconds(1), .seconds(1))
                while !Task.isCancelled {
                    try? await Task.sleep(for: period)
                    inbox.post(.tick)
                }
            }
            await connection.run()
            group.cancelAll()
        }
    }
}
