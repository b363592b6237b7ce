import HTTPTypes
import Hummingbird
import TideModel

/// The credentials a request presents (ARCHITECTURE §6): `Authorization: Bearer <token>`,
/// or `x-api-key: <key>` for public access, or none.
enum RequestCredentials: Sendable {
    case none
    case bearer(String)
    case apiKey(String)

    /// Reads the headers; an `Authorization` header that is not a bearer token is refused
    /// rather than ignored, so a misconfigured client does not silently act anonymously.
    init(_ headers: HTTPFields) throws(AuthenticationFailure) {
        if let authorization = headers[.authorization] {
            // Runs on every request: compare the scheme bytes instead of splitting and lowercasing.
            let bytes = authorization.utf8
            let scheme = "bearer ".utf8
            guard bytes.count > scheme.count,
                zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 })
            else {
                throw AuthenticationFailure("The Authorization header must be \"Bearer <access token>\".")
            }
            let token = authorization.utf8.dropFirst(scheme.count).drop { $0 == UInt8(ascii: " ") }
            self = .bearer(String(Substring(token)))
        } else if let key = headers[.xAPIKey] {
            self = .apiKey(key)
        } else {
            self = .none
        }
    }
}

/// Why a request's credentials were refused; the message is safe to show the client.
public struct AuthenticationFailure: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// A caller whose credentials were verified.
struct AuthenticatedCaller: Sendable {
    var principal: Principal
    /// Epoch seconds from which an access token is refused; nil for API keys and anonymous
    /// callers. A WebSocket connection, which keeps its token, ends its rights then.
    var expiresAt: Int64?

    init(principal: Principal, expiresAt: Int64? = nil) {
        self.principal = principal
        self.expiresAt = expiresAt
    }
}

/// Turns presented credentials into a caller (verifying tokens, looking up API keys).
typealias Authenticate = @Sendable (RequestCredentials) throws(AuthenticationFailure) -> AuthenticatedCaller
