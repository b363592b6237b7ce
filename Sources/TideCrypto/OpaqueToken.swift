/// Opaque bearer secrets: 32 random bytes, base64url. Refresh tokens and API-key secrets are
/// such tokens. The store keeps only ``hash(_:)`` of a token, so a leaked database does not yield
/// usable tokens.
///
/// The hash is plain BLAKE2b-256 without salt or stretching: the token has 256 bits of entropy, so
/// guessing is hopeless anyway, and a deterministic hash lets the store look a token up by it (the
/// lookup is on the hash, so its timing says nothing about the token).
///
/// ```swift
/// let (token, hash) = RefreshToken.generate()
/// store.saveRefresh(hash: hash, user: id)            // hand `token` to the client
/// // later, on POST /auth/refresh:
/// let row = store.refresh(hash: RefreshToken.hash(presented))
/// ```
public enum OpaqueToken {
    /// Random bytes per token.
    public static let byteCount = 32

    /// A new token for the client and its hash for the store.
    public static func generate() -> (token: String, hash: String) {
        let token = Base64URL.encode(secureRandomBytes(byteCount))
        return (token, hash(token))
    }

    /// Base64url of the BLAKE2b-256 hash of the token's UTF-8 bytes (43 characters).
    public static func hash(_ token: String) -> String {
        Base64URL.encode(GenericHash.digest(Array(token.utf8)))
    }
}

/// Refresh tokens (`POST /auth/refresh`) are opaque tokens.
public typealias RefreshToken = OpaqueToken
