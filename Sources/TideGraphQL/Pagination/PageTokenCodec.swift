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
        let payload: JSONValue = [
            "f": .string(operation), "o": .string(cursor.order), "v": .array(cursor.values), "i": .string(cursor.id),
        ]
        return authenticator.seal(payload.jsonBytes)
    }

    func decode(_ token: String, operation: String) -> Cursor? {
        guard let message = authenticator.open(token),
            case .object(let payload)? = try? JSONParser.parse(message),
            payload["f"] == .string(operation),
            case .string(let order)? = payload["o"],
            case .array(let values)? = payload["v"],
            case .string(let id)? = payload["i"]
        else { return nil }
        return Cursor(order: order, values: values, id: id)
    }
}
