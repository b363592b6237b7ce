import Foundation
import TideModel

/// The claims of a Tidewater access token (JWT payload).
///
/// ```swift
/// let claims = AccessTokenClaims(sub: user.id, username: user.name, groups: ["admin"],
///                                issuer: "tidewater", issuedAt: .now, lifetime: 900)
/// ```
public struct AccessTokenClaims: Sendable, Hashable {
    /// User id.
    public var sub: String
    public var username: String
    /// Group names at issue time; changes reach the user at the next login or refresh.
    public var groups: [String]
    /// Issued at, seconds since 1970 (JWT NumericDate).
    public var iat: Int64
    /// Expires at, seconds since 1970 (JWT NumericDate).
    public var exp: Int64
    /// Issuer.
    public var iss: String
    /// Tidewater's `gca`: when the user's groups last changed (epoch ms; 0: never), so delta
    /// sync can tell a client whose access changed since its last sync to start over.
    public var groupsChangedAt: Int64

    public init(
        sub: String, username: String, groups: [String], iat: Int64, exp: Int64, iss: String, groupsChangedAt: Int64 = 0
    ) {
        self.groupsChangedAt = groupsChangedAt
        self.sub = sub
        self.username = username
        self.groups = groups
        self.iat = iat
        self.exp = exp
        self.iss = iss
    }

    /// Claims issued at `issuedAt` (truncated to whole seconds) and valid for `lifetime` seconds.
    public init(
        sub: String, username: String, groups: [String], issuer: String, issuedAt: Date, lifetime: Int, groupsChangedAt: Int64 = 0
    ) {
        let iat = Int64(issuedAt.timeIntervalSince1970.rounded(.down))
        self.init(
            sub: sub, username: username, groups: groups, iat: iat, exp: iat + Int64(lifetime), iss: issuer,
            groupsChangedAt: groupsChangedAt)
    }

    /// The JSON payload.
    public var json: JSONValue {
        .object([
            "sub": .string(sub), "username": .string(username), "groups": .array(groups.map { .string($0) }),
            "iat": .int(iat), "exp": .int(exp), "iss": .string(iss), "gca": .int(groupsChangedAt),
        ])
    }

    /// Reads claims from a JSON payload; every claim but `gca` is required with its exact JSON
    /// type (NumericDates as integers, as this package writes them).
    public init(json: JSONValue) throws(TokenError) {
        guard case .object(let o) = json,
              let sub = o["sub"]?.stringValue,
              let username = o["username"]?.stringValue,
              let groupValues = o["groups"]?.arrayValue,
              let iat = o["iat"]?.intValue,
              let exp = o["exp"]?.intValue,
              let iss = o["iss"]?.stringValue
        else { throw .invalidClaims }
        var groups: [String] = []
        groups.reserveCapacity(groupValues.count)
        for value in groupValues {
            guard let name = value.stringValue else { throw .invalidClaims }
            groups.append(name)
        }
        let groupsChangedAt: Int64
        switch o["gca"] {
        case nil: groupsChangedAt = 0
        case .int(let value)?: groupsChangedAt = value
        default: throw .invalidClaims
        }
        self.init(sub: sub, username: username, groups: groups, iat: iat, exp: exp, iss: iss, groupsChangedAt: groupsChangedAt)
    }
}
