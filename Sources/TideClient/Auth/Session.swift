import Foundation
import TideCrypto
import TideModel

/// A signed-in user's credentials: what survives a restart of the app (ARCHITECTURE §9.1).
/// The refresh token rotates at every refresh; a ``SessionStore`` keeps the newest.
public struct Session: Sendable, Hashable {
    /// The server's base URL, e.g. `http://127.0.0.1:4000`.
    public var server: String
    /// The user id (the access token's `sub`): with the server, it names the local store.
    public var userID: String
    public var username: String
    public var accessToken: String
    /// Epoch seconds after which the access token is refused.
    public var accessTokenExpiresAt: Double
    public var refreshToken: String

    public init(
        server: String, userID: String, username: String, accessToken: String, accessTokenExpiresAt: Double, refreshToken: String
    ) {
        self.server = server
        self.userID = userID
        self.username = username
        self.accessToken = accessToken
        self.accessTokenExpiresAt = accessTokenExpiresAt
        self.refreshToken = refreshToken
    }

    /// A session from a login or refresh answer (`{accessToken, refreshToken, expiresIn}`); the
    /// user comes from the token's claims (`sub`, `username`), which the server signed.
    init(server: String, tokens: JSONValue, now: Double) throws(TideClientError) {
        guard case .string(let access)? = tokens["accessToken"], case .string(let refresh)? = tokens["refreshToken"],
            let expiresIn = tokens["expiresIn"]?.numberValue
        else { throw .server(code: "INVALID_RESPONSE", message: "the token answer lacks accessToken, refreshToken or expiresIn") }
        guard let claims = Self.claims(of: access), case .string(let sub)? = claims["sub"] else {
            throw .server(code: "INVALID_RESPONSE", message: "the access token carries no user id")
        }
        self.init(
            server: server, userID: sub, username: claims["username"]?.stringValue ?? sub, accessToken: access,
            accessTokenExpiresAt: now + expiresIn, refreshToken: refresh)
    }

    /// The claims of a JWT, unverified: the client only reads who it is; the server verifies.
    static func claims(of token: String) -> JSONValue? {
        let parts = token.split(separator: ".")
        guard parts.count == 3, let payload = Base64URL.decode(String(parts[1])) else { return nil }
        return try? JSONParser.parse(payload)
    }

    var json: JSONValue {
        [
            "server": .string(server), "userId": .string(userID), "username": .string(username),
            "accessToken": .string(accessToken), "accessTokenExpiresAt": .double(accessTokenExpiresAt),
            "refreshToken": .string(refreshToken),
        ]
    }

    init?(json: JSONValue) {
        guard case .string(let server)? = json["server"], case .string(let userID)? = json["userId"],
            case .string(let username)? = json["username"], case .string(let access)? = json["accessToken"],
            let expiresAt = json["accessTokenExpiresAt"]?.numberValue, case .string(let refresh)? = json["refreshToken"]
        else { return nil }
        self.init(
            server: server, userID: userID, username: username, accessToken: access, accessTokenExpiresAt: expiresAt,
            refreshToken: refresh)
    }
}
