import CSodium
import TideModel

/// An Ed25519 public key with its key id: verifies access tokens and is published in the JWKS.
///
/// After a key rotation the previous key's `PublicKey` stays in the verifier's list (and the JWKS)
/// until every token it signed has expired.
///
/// ```swift
/// let keys = [current.publicKey, previous]
/// let jwks = PublicKey.jwks(keys)          // body of GET /.well-known/jwks.json
/// let verifier = AccessTokenVerifier(keys: keys, issuer: "tidewater")
/// ```
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// Public key length in bytes.
    public static let length = Int(crypto_sign_PUBLICKEYBYTES)

    /// The raw 32-byte key.
    public let bytes: [UInt8]
    /// Key id, as in a token header's `kid`.
    public let kid: String

    /// - Parameters:
    ///   - bytes: 32 raw key bytes.
    ///   - kid: the key id; by default ``derivedKid(for:)`` of `bytes`.
    public init(bytes: [UInt8], kid: String? = nil) throws(KeyError) {
        guard bytes.count == Self.length else { throw .invalidLength }
        Sodium.ensureReady()
        self.bytes = bytes
        self.kid = kid ?? Self.derivedKid(for: bytes)
    }

    /// Imports a JWK as produced by ``jwk`` (`kty` OKP, `crv` Ed25519, `x`; `kid` and `alg` optional,
    /// `alg` must be EdDSA when present).
    public init(jwk: JSONValue) throws(KeyError) {
        guard jwk["kty"]?.stringValue == "OKP", jwk["crv"]?.stringValue == "Ed25519",
              let x = jwk["x"]?.stringValue, let bytes = Base64URL.decode(x), bytes.count == Self.length
        else { throw .invalidJWK }
        if let alg = jwk["alg"], alg.stringValue != "EdDSA" { throw .invalidJWK }
        let kid: String?
        switch jwk["kid"] {
        case nil: kid = nil
        case .string(let s)?: kid = s
        default: throw .invalidJWK
        }
        try self.init(bytes: bytes, kid: kid)
    }

    /// The default key id: base64url of the first 8 bytes of the BLAKE2b-256 hash of the key
    /// (11 characters). Derived from the key, so it never needs storing separately.
    public static func derivedKid(for publicKeyBytes: [UInt8]) -> String {
        Base64URL.encode(Array(GenericHash.digest(publicKeyBytes).prefix(8)))
    }

    /// The key as a JWK (RFC 8037):
    /// `{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}`.
    public var jwk: JSONValue {
        .object([
            "kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(bytes)),
            "kid": .string(kid), "alg": "EdDSA", "use": "sig",
        ])
    }

    /// A JWK Set `{"keys":[…]}` listing `keys` in order.
    public static func jwks(_ keys: [PublicKey]) -> JSONValue {
        .object(["keys": .array(keys.map(\.jwk))])
    }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    public func verify(signature: [UInt8], of message: [UInt8]) -> Bool {
        guard signature.count == Int(crypto_sign_BYTES) else { return false }
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), bytes) == 0
    }

    public var description: String { "PublicKey(kid: \(kid))" }
}
