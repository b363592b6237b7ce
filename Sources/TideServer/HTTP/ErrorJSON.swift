import TideGraphQL
import TideModel

/// GraphQL errors the transport makes itself (before or beside the engine): one error with
/// `message` and `extensions.code`, as JSON.
enum ErrorJSON {
    /// `[{"message": …, "extensions": {"code": …}}]`: the payload of a WebSocket `error` message.
    static func list(message: String, code: ErrorCode) -> [UInt8] {
        var w = JSONWriter(capacity: message.utf8.count + 64)
        w.raw("[")
        write(message: message, code: code, to: &w)
        w.raw("]")
        return w.bytes
    }

    /// `{"errors": [{"message": …, "extensions": {"code": …}}]}`: an HTTP response body.
    static func body(message: String, code: ErrorCode) -> [UInt8] {
        var w = JSONWriter(capacity: message.utf8.count + 80)
        w.raw("{\"errors\":[")
        write(message: message, code: code, to: &w)
        w.raw("]}")
        return w.bytes
    }

    private static func write(message: String, code: ErrorCode, to w: inout JSONWriter) {
        w.raw("{\"message\":")
        w.string(message)
        w.raw(",\"extensions\":{\"code\":")
        w.string(code.rawValue)
        w.raw("}}")
    }
}
