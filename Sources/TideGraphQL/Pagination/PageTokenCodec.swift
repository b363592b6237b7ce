import TideCrypto
import TideModel
import TideStore

/// Turns store cursors into opaque, tamper-evident `nextToken`s and back.
///
/// The token is `MAC ‖ payload` (libsodium HMAC-SHA-512-256) so a client can neither read
/// meaning into it nor forge one; it names the operation it came from, so a token of
/// `listNotes` is refused by `listComments`.
struct PageTokenCodec: Sendable {
    let authenticator: MessageAuthenticator

    func encode(_ cursor: Cursor, operation: String) -> String {
        seal(Self.json(cursor), operation: operation)
    }

    func decode(_ token: String, operation: String) -> Cursor? {
        open(token, operation: operation).flatMap(Self.cursor)
    }

    /// Seals any state of a paginated operation (a delta sync's position, say).
    func seal(_ state: JSONValue, operation: String) -> String {
        authenticator.seal(JSONValue.object(["f": .string(operation), "s": state]).jsonBytes)
    }

    /// The state sealed for `operation`, nil when forged, damaged or from another operation.
    func open(_ token: String, operation: String) -> JSONValue? {
        guard let message = authenticator.open(token),
            case .object(let payload)? = try? JSONParser.parse(message),
            payload["f"] == .string(operation)
        else { return nil }
        return payload["s"]
    }

    static func json(_ cursor: Cursor) -> JSONValue {
        ["o": .string(cursor.order), "v": .array(cursor.values), "i": .string(cursor.id)]
    }

    static func cursor(_ json: JSONValue) -> Cursor? {
        guard case .string(let order)? = json["o"], case .array(let values)? = json["v"], case .string(let id)? = json["i"]
        else { return nil }
        return Cursor(order: order, values: values, id: id)
    }
}
