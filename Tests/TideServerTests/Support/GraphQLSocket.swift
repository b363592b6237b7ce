import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import TideModel

/// A graphql-transport-ws client over a real WebSocket (HummingbirdWSClient), for tests. Every
/// wait is bounded.
///
/// With `reading: false` the client does not read the socket until `startReading()`, like a
/// device that stopped draining its connection.
final class GraphQLSocket: Sendable {
    private struct State {
        var received: [JSONValue] = []
        var outbound: WebSocketOutboundWriter?
        var reading: Bool
        /// Set when the client's run ended: the server's close code, or nil without one.
        var ended: Bool = false
        var closeCode: Int?
        var failure: String?
    }

    private let state: Mutex<State>

    private init(reading: Bool) {
        state = Mutex(State(reading: reading))
    }

    /// Opens a socket to the server's `/graphql` (offering the subprotocol unless told not to).
    static func connect(
        _ server: ServerProcess, subprotocol: String? = "graphql-transport-ws", reading: Bool = true,
        timeout: Duration = .seconds(10)
    ) async throws -> GraphQLSocket {
        let socket = GraphQLSocket(reading: reading)
        var headers = HTTPFields()
        if let subprotocol { headers[.secWebSocketProtocol] = subprotocol }
        let url = "ws://\(server.baseURL.host!):\(server.baseURL.port!)/graphql"
        let client = WebSocketClient(
            url: url, configuration: .init(maxFrameSize: 1 << 24, additionalHeaders: headers),
            logger: Logger(label: "test.ws")
        ) { inbound, outbound, _ in
            socket.state.withLock { $0.outbound = outbound }
            while !socket.state.withLock({ $0.reading }) { try await Task.sleep(for: .milliseconds(20)) }
            for try await message in inbound.messages(maxSize: 1 << 26) {
                guard case .text(let text) = message, let json = try? JSONParser.parse(text) else { continue }
                socket.state.withLock { $0.received.append(json) }
            }
        }
        Task {
            do {
                let frame = try await client.run()
                socket.state.withLock {
                    $0.ended = true
                    $0.closeCode = frame.map { Self.number($0.closeCode) }
                }
            } catch {
                socket.state.withLock {
                    $0.ended = true
                    $0.failure = "\(error)"
                }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (connected, ended, failure) = socket.state.withLock { ($0.outbound != nil, $0.ended, $0.failure) }
            if connected { return socket }
            if ended { throw TestFailure("WebSocket connection failed: \(failure ?? "closed")") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("WebSocket did not connect within \(timeout)")
    }

    private static func number(_ code: WebSocketErrorCode) -> Int {
        var buffer = ByteBuffer()
        buffer.write(webSocketErrorCode: code)
        return Int(buffer.readInteger(as: UInt16.self) ?? 0)
    }

    func startReading() {
        state.withLock { $0.reading = true }
    }

    func send(_ message: JSONValue) async throws {
        try await sendText(message.jsonString)
    }

    func sendText(_ text: String) async throws {
        guard let outbound = state.withLock({ $0.outbound }) else { throw TestFailure("not connected") }
        try await outbound.write(.text(text))
    }

    /// One text message sent as several WebSocket frames (a first frame and continuations).
    func sendFragmented(_ text: String, pieces: Int) async throws {
        guard let outbound = state.withLock({ $0.outbound }) else { throw TestFailure("not connected") }
        let bytes = Array(text.utf8)
        let size = max(1, (bytes.count + pieces - 1) / pieces)
        try await outbound.withTextMessageWriter { write in
            for start in stride(from: 0, to: bytes.count, by: size) {
                try await write(ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)]))
            }
        }
    }

    /// The next message, skipping the server's protocol pings unless `skipPings` is false.
    func next(timeout: Duration = .seconds(10), skipPings: Bool = true) async throws -> JSONValue {
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

    /// Waits up to `first` for a message, then until none arrives for `quiet`; returns them all.
    func drain(first: Duration = .seconds(10), quiet: Duration = .seconds(1)) async throws -> [JSONValue] {
        var messages = [try await next(timeout: first)]
        while let message = try? await next(timeout: quiet) { messages.append(message) }
        return messages
    }

    /// The close code the server sent, once the socket has ended.
    func closeCode(timeout: Duration = .seconds(15)) async throws -> Int? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (ended, code) = state.withLock { ($0.ended, $0.closeCode) }
            if ended { return code }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("the socket did not close within \(timeout)")
    }

    private var closeCode: Int? { state.withLock { $0.closeCode } }

    func close() async {
        guard let outbound = state.withLock({ $0.outbound }) else { return }
        try? await outbound.close(.normalClosure, reason: nil)
        _ = try? await closeCode(timeout: .seconds(5))
    }

    // MARK: - Protocol steps

    /// `connection_init` with `payload` (the credentials), expecting `connection_ack`.
    func initialize(_ payload: [String: String] = [:]) async throws {
        try await send(["type": "connection_init", "payload": .object(payload.mapValues(JSONValue.string))])
        let reply = try await next()
        guard reply["type"] == "connection_ack" else { throw TestFailure("expected connection_ack, got \(reply.jsonString)") }
    }

    func subscribe(
        _ id: String, _ query: String, variables: JSONValue = [:], resumeFrom: Int64? = nil
    ) async throws {
        var payload: [String: JSONValue] = ["query": .string(query), "variables": variables]
        if let resumeFrom { payload["extensions"] = ["resumeFrom": .int(resumeFrom)] }
        try await send(["type": "subscribe", "id": .string(id), "payload": .object(payload)])
    }

    /// The next `next` message's payload for `id`, failing on any other message.
    func nextEvent(_ id: String, timeout: Duration = .seconds(10)) async throws -> JSONValue {
        let message = try await next(timeout: timeout)
        guard message["type"] == "next", message["id"] == .string(id), let payload = message["payload"] else {
            throw TestFailure("expected next for \(id), got \(message.jsonString)")
        }
        return payload
    }

    /// Runs a query or mutation over the socket: its one `next` payload, then `complete`.
    func execute(_ id: String, _ query: String, variables: JSONValue = [:]) async throws -> JSONValue {
        try await subscribe(id, query, variables: variables)
        let payload = try await nextEvent(id)
        let done = try await next()
        guard done["type"] == "complete", done["id"] == .string(id) else { throw TestFailure("expected complete, got \(done.jsonString)") }
        return payload
    }
}

extension JSONValue {
    /// The first GraphQL error of an `error` message (its payload is the list of errors).
    var firstError: JSONValue? { self["payload"]?.arrayValue?.first }
}
