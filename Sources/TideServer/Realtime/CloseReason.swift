/// Why the server closes a socket: the graphql-transport-ws close codes, and Tidewater's own two
/// in the same 44xx application range.
///
/// | Code | When |
/// | ---- | ---- |
/// | 4400 | a message that is not valid graphql-transport-ws |
/// | 4401 | `subscribe` before `connection_ack` |
/// | 4403 | invalid credentials in `connection_init`, the access token expired, the API key was revoked, or the user was removed |
/// | 4406 | the upgrade did not offer the subprotocol `graphql-transport-ws` |
/// | 4408 | no `connection_init` within the init timeout |
/// | 4409 | `subscribe` with the id of an operation still running |
/// | 4413 | the connection fell more than `queueCapacity` feed entries behind (resume from the last `seq`) |
/// | 4429 | a second `connection_init` |
/// | 4430 | too many connections for this user, API key or client address |
struct CloseReason: Sendable, Equatable {
    var code: Int
    /// At most 123 bytes (RFC 6455 §5.5: a control frame carries at most 125).
    var reason: String

    init(code: Int, reason: String) {
        self.code = code
        self.reason = String(decoding: reason.utf8.prefix(123), as: UTF8.self)
    }

    static func badRequest(_ why: String) -> Self { Self(code: 4400, reason: why) }
    static let unauthorized = Self(code: 4401, reason: "Unauthorized")
    static let forbidden = Self(code: 4403, reason: "Forbidden")
    static let subprotocolNotAcceptable = Self(code: 4406, reason: "Subprotocol not acceptable")
    static let tokenExpired = Self(code: 4403, reason: "Forbidden: the access token expired")
    static let apiKeyRevoked = Self(code: 4403, reason: "Forbidden: the API key was revoked or expired")
    static let userRemoved = Self(code: 4403, reason: "Forbidden: the user was removed")
    static let initTimeout = Self(code: 4408, reason: "Connection initialisation timeout")
    static func duplicate(_ id: String) -> Self { Self(code: 4409, reason: "Subscriber for \(id) already exists") }
    static let overflow = Self(
        code: 4413, reason: "Subscriber too slow: event queue overflow; reconnect and resume from the last seq")
    static let tooManyInits = Self(code: 4429, reason: "Too many initialisation requests")
    static let tooManyConnections = Self(code: 4430, reason: "Too many connections for this caller")
}
