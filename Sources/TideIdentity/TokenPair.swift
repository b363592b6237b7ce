/// What a login or refresh returns (`POST /auth/login`, `POST /auth/refresh`).
public struct TokenPair: Sendable, Hashable {
    /// An EdDSA-signed JWT for `Authorization: Bearer`.
    public var accessToken: String
    /// Opaque; single use: present it once to `refresh`, which returns its successor.
    public var refreshToken: String
    /// Seconds until `accessToken` expires.
    public var expiresIn: Int
}
