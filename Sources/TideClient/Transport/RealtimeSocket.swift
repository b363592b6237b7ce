import HTTPTypes
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import TideModel
import WSClient

/// One graphql-transport-ws connection over a WebSocket: swift-websocket's `WebSocketClient`
/// (framing, masking, pings, the closing handshake) carries ``GraphQLTransportWS`` (our message
/// logic). Events arrive on ``events``, which ends after `.closed`.
///
/// Chosen over hummingbird-websocket's `HummingbirdWSClient`, which in 2.8.1 only re-exports
/// this module: depending on swift-websocket directly keeps the Hummingbird server framework
/// out of the client's dependency graph.
final class RealtimeSocket: Sendable {
    enum Event: Sendable {
        case ready
        case next(id: String, payload: JSONValue)
        case error(id: String, errors: [JSONValue])
        case complete(id: String)
        /// The connection is over: the close code (server's or ours) and why.
        case closed(code: Int?, reason: String)
    }

    let events: AsyncStream<Event>
    private let eventSink: AsyncStream<Event>.Continuation
    private let outgoing: AsyncStream<String>.Continuation
    private let state = LockedBox(GraphQLTransportWS())
    private let task = LockedBox<Task<Void, Never>?>(nil)

    /// How long the server has to acknowledge `connection_init`.
    static let ackTimeout: Duration = .seconds(10)

    /// Connects to `url` (`ws://host:port/graphql`) and sends `connection_init` with `payload`.
    init(url: String, payload: [String: JSONValue], logger: Logger) {
        (events, eventSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        let (outgoingMessages, outgoing) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        self.outgoing = outgoing
        let state = self.state
        let sink = eventSink
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = "graphql-transport-ws"
        let configuration = WebSocketClientConfiguration(
            maxFrameSize: 1 << 20, additionalHeaders: headers, closeTimeout: .seconds(5), autoPing: .enabled(timePeriod: .seconds(20)))
        let handler: WebSocketDataHandler<WebSocketClient.Context> = { inbound, outbound, _ in
            try await outbound.write(.text(GraphQLTransportWS.connectionInit(payload: payload)))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in outgoingMessages { try await outbound.write(.text(text)) }
                    // Finished by close(): end the connection politely.
                    try await outbound.close(.normalClosure, reason: nil)
                }
                group.addTask {
                    try await Task.sleep(for: Self.ackTimeout)
                    if state.withLock({ $0.phase }) == .connecting {
                        try await outbound.close(.unknown(4408), reason: "connection_ack timeout")
                    }
                }
                for try await message in inbound.messages(maxSize: 64 << 20) {
                    guard case .text(let text) = message else { continue }
                    for action in state.withLock({ $0.receive(text) }) {
                        switch action {
                        case .send(let reply): try await outbound.write(.text(reply))
                        case .acknowledged: sink.yield(.ready)
                        case .next(let id, let payload): sink.yield(.next(id: id, payload: payload))
                        case .error(let id, let errors): sink.yield(.error(id: id, errors: errors))
                        case .complete(let id): sink.yield(.complete(id: id))
                        case .close(let code, let reason):
                            try await outbound.close(.unknown(UInt16(code)), reason: reason)
                        }
                    }
                }
                group.cancelAll()
            }
        }
        task.withLock {
            $0 = Task {
                // Made inside the task: the client value is not Sendable.
                let client = WebSocketClient(url: url, configuration: configuration, logger: logger, handler: handler)
                var code: Int?
                var reason = "closed"
                do {
                    if let frame = try await client.run() {
                        code = Int(UInt16(webSocketErrorCode: frame.closeCode))
                        reason = frame.reason ?? "closed by the server"
                    }
                } catch {
                    reason = HTTPTransport.describe(error)
                }
                state.withLock { $0.closed() }
                outgoing.finish()
                sink.yield(.closed(code: code, reason: reason))
                sink.finish()
            }
        }
    }

    /// Starts an operation (a subscription, or a query whose answer orders it after the
    /// subscriptions sent before it); returns its id.
    @discardableResult
    func subscribe(query: String, variables: [String: JSONValue] = [:], extensions: [String: JSONValue] = [:]) -> String {
        let (id, message) = state.withLock { $0.subscribe(query: query, variables: variables, extensions: extensions) }
        outgoing.yield(message)
        return id
    }

    func complete(id: String) {
        if let message = state.withLock({ $0.complete(id: id) }) { outgoing.yield(message) }
    }

    /// Closes the connection (1000); ``events`` ends soon after.
    func close() {
        outgoing.finish()
    }

    /// Closes and waits until the connection is over.
    func closeAndWait() async {
        close()
        let running = task.withLock { $0 }
        await running?.value
    }

    deinit {
        outgoing.finish()
    }
}
