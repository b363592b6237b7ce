import TideGraphQL
import TideModel

/// A graphql-transport-ws message from the client, validated (anything else closes with 4400).
enum ClientMessage: Sendable {
    /// `connection_init`; `payload` carries the credentials (`Authorization`, `x-api-key`).
    case connectionInit(payload: [String: JSONValue])
    case ping(payload: JSONValue?)
    case pong
    /// `subscribe`; Tidewater's `payload.extensions.resumeFrom` asks for the events after that seq first.
    case subscribe(id: String, request: GraphQLRequest, resumeFrom: Int64?)
    case complete(id: String)

    /// Why a message was refused: the reason of the 4400 close.
    struct Violation: Error, Sendable {
        var message: String
    }

    init(text: some Collection<UInt8>) throws(Violation) {
        guard case .object(let message)? = try? JSONParser.parse(text) else {
            throw Violation(message: "Invalid message: not a JSON object")
        }
        guard case .string(let type)? = message["type"] else { throw Violation(message: "Invalid message: no type") }
        func id() throws(Violation) -> String {
            guard case .string(let id)? = message["id"], !id.isEmpty else {
                throw Violation(message: "Invalid message: \(type) needs a non-empty string id")
            }
            return id
        }
        switch type {
        case "connection_init":
            switch message["payload"] {
            case nil, .null?: self = .connectionInit(payload: [:])
            case .object(let payload)?: self = .connectionInit(payload: payload)
            default: throw Violation(message: "Invalid message: connection_init payload must be an object")
            }
        case "ping": self = .ping(payload: message["payload"])
        case "pong": self = .pong
        case "complete": self = .complete(id: try id())
        case "subscribe":
            let id = try id()
            guard case .object(let payload)? = message["payload"] else {
                throw Violation(message: "Invalid message: subscribe needs a payload object")
            }
            let request: GraphQLRequest
            do {
                request = try GraphQLRequest(parameters: payload)
            } catch {
                throw Violation(message: "Invalid message: subscribe payload is not a GraphQL request")
            }
            var resumeFrom: Int64?
            switch payload["extensions"]?["resumeFrom"] {
            case nil, .null?: break
            case .int(let seq)? where seq >= 0: resumeFrom = seq
            default: throw Violation(message: "Invalid message: extensions.resumeFrom must be a non-negative integer")
            }
            self = .subscribe(id: id, request: request, resumeFrom: resumeFrom)
        default:
            throw Violation(message: "Invalid message type \(type)")
        }
    }
}
