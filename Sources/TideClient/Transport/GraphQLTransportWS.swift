import TideModel

/// The client side of graphql-transport-ws (the graphql-ws protocol, ARCHITECTURE §7) as a
/// value: text messages in, actions out, no I/O; ``RealtimeSocket`` carries it over a WebSocket.
///
/// ```
///  connecting ──connection_ack──► ready ──(close)──► closed
///      │  any other message first                ▲
///      └────────── close 4400 ───────────────────┘
/// ```
/// Operations (subscriptions and single queries) get ids `1`, `2`, …; `next`, `error` and
/// `complete` for an id we no longer run (completed by us meanwhile) are ignored, as the
/// protocol allows. A server `ping` is answered with `pong` at once.
struct GraphQLTransportWS: Sendable {
    enum Phase: Sendable, Equatable {
        /// `connection_init` sent, waiting for `connection_ack`.
        case connecting
        case ready
        case closed
    }

    enum Action: Sendable, Equatable {
        /// Write this text message.
        case send(String)
        /// The server acknowledged the connection: operations may start.
        case acknowledged
        /// A result for an operation: `payload` is `{data, errors?, extensions?}`.
        case next(id: String, payload: JSONValue)
        /// The operation failed; it is over.
        case error(id: String, errors: [JSONValue])
        /// The server completed the operation.
        case complete(id: String)
        /// The server broke the protocol: close the socket with this code.
        case close(code: Int, reason: String)
    }

    private(set) var phase: Phase = .connecting
    private(set) var operations: Set<String> = []
    private var lastID = 0

    /// The first message: `connection_init` with `payload` (the credentials).
    static func connectionInit(payload: [String: JSONValue]) -> String {
        JSONValue.object(["type": "connection_init", "payload": .object(payload)]).jsonString
    }

    /// Starts an operation; returns its id and the `subscribe` message. `extensions` carries
    /// Tidewater's `resumeFrom`.
    mutating func subscribe(
        query: String, variables: [String: JSONValue] = [:], extensions: [String: JSONValue] = [:]
    ) -> (id: String, message: String) {
        lastID += 1
        let id = String(lastID)
        operations.insert(id)
        var payload: [String: JSONValue] = ["query": .string(query)]
        if !variables.isEmpty { payload["variables"] = .object(variables) }
        if !extensions.isEmpty { payload["extensions"] = .object(extensions) }
        return (id, JSONValue.object(["type": "subscribe", "id": .string(id), "payload": .object(payload)]).jsonString)
    }

    /// Stops an operation; the `complete` message, or nil when it is not running.
    mutating func complete(id: String) -> String? {
        guard operations.remove(id) != nil else { return nil }
        return JSONValue.object(["type": "complete", "id": .string(id)]).jsonString
    }

    /// The socket closed.
    mutating func closed() {
        phase = .closed
        operations = []
    }

    /// A text message from the server.
    mutating func receive(_ text: String) -> [Action] {
        guard phase != .closed else { return [] }
        guard case .object(let message)? = try? JSONParser.parse(text), case .string(let type)? = message["type"] else {
            return violation("Invalid message: not a graphql-transport-ws message")
        }
        switch (phase, type) {
        case (.connecting, "connection_ack"):
            phase = .ready
            return [.acknowledged]
        case (_, "ping"):
            var pong: [String: JSONValue] = ["type": "pong"]
            if let payload = message["payload"], !payload.isNull { pong["payload"] = payload }
            return [.send(JSONValue.object(pong).jsonString)]
        case (_, "pong"):
            return []
        case (.ready, "next"), (.ready, "error"), (.ready, "complete"):
            guard case .string(let id)? = message["id"] else { return violation("Invalid message: \(type) without an id") }
            guard operations.contains(id) else { return [] }
            switch type {
            case "next":
                guard let payload = message["payload"], case .object = payload else {
                    return violation("Invalid message: next without a payload")
                }
                return [.next(id: id, payload: payload)]
            case "error":
                operations.remove(id)
                return [.error(id: id, errors: message["payload"]?.arrayValue ?? [])]
            default:
                operations.remove(id)
                return [.complete(id: id)]
            }
        default:
            return violation("Invalid message: unexpected \(type) while \(phase)")
        }
    }

    private mutating func violation(_ reason: String) -> [Action] {
        phase = .closed
        operations = []
        return [.close(code: 4400, reason: reason)]
    }
}
