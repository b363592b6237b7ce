import TideModel

/// graphql-transport-ws messages from the server, as JSON bytes. Payloads the engine rendered
/// (`next` results, `error` lists) are spliced in as they are, never re-encoded.
enum ServerMessage {
    static let connectionAck: [UInt8] = Array(#"{"type":"connection_ack"}"#.utf8)
    static let ping: [UInt8] = Array(#"{"type":"ping"}"#.utf8)

    static func pong(payload: JSONValue?) -> [UInt8] {
        var w = JSONWriter(capacity: 64)
        w.raw("{\"type\":\"pong\"")
        if let payload, !payload.isNull {
            w.raw(",")
            w.key("payload")
            w.write(payload)
        }
        w.raw("}")
        return w.bytes
    }

    /// `payload` is an execution result: `{"data": …}` with `errors` and `extensions` as needed.
    static func next(id: String, payload: [UInt8]) -> [UInt8] { withPayload("next", id: id, payload) }

    /// `errors` is a JSON array of GraphQL errors.
    static func error(id: String, errors: [UInt8]) -> [UInt8] { withPayload("error", id: id, errors) }

    static func complete(id: String) -> [UInt8] {
        var w = JSONWriter(capacity: 48 + id.utf8.count)
        w.raw("{\"type\":\"complete\",")
        w.key("id")
        w.string(id)
        w.raw("}")
        return w.bytes
    }

    private static func withPayload(_ type: StaticString, id: String, _ payload: [UInt8]) -> [UInt8] {
        var w = JSONWriter(capacity: payload.count + 48 + id.utf8.count)
        w.raw("{\"type\":\"")
        w.raw(type)
        w.raw("\",")
        w.key("id")
        w.string(id)
        w.raw(",")
        w.key("payload")
        w.raw(bytes: payload)
        w.raw("}")
        return w.bytes
    }
}
