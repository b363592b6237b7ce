import CSodium
import TideModel

/// An Ed25519 key pair that signs access tokens (libsodium `crypto_sign_*`).
///
/// Persist ``secretKeyBytes`` in the data folder (file mode 0600) and load it back with
/// ``init(secretKeyBytes:)``. `description`, `debugDescription` and `dump` show only the key id.
///
/// ```swift
/// let key = SigningKey.generate()
/// try write(key.secretKeyBytes, to: "keys/\(key.kid).key")
/// let again = try SigningKey(secretKeyBytes: read("keys/\(key.kid).key"))
/// let token = AccessTokenSigner(key: again).sign(claims)
/// ```
public struct SigningKey: Sendable, CustomStringConvertible, CustomReflectable {
    /// Length of the exported secret key: libsodium's 64-byte form (32-byte seed ‖ 32-byte public key).
    public static let secretKeyLength = Int(crypto_sign_SECRETKEYBYTES)

    // Swift arrays may be copied or moved by the runtime, so the secret cannot be reliably wiped;
    // the process's memory is the trust boundary.
    private let secretKey: [UInt8]
    /// The verifying half, with the key id.
    public let publicKey: PublicKey

    private init(secretKey: [UInt8], publicKey: PublicKey) {
        self.secretKey = secretKey
        self.publicKey = publicKey
    }

    /// A new random key pair.
    public static func generate() -> SigningKey {
        Sodium.ensureReady()
        var pk = [UInt8](repeating: 0, count: PublicKey.length)
        var sk = [UInt8](repeating: 0, count: secretKeyLength)
        precondition(crypto_sign_keypair(&pk, &sk) == 0, "crypto_sign_keypair failed")
        // Cannot fail: pk has the right length.
        return SigningKey(secretKey: sk, publicKey: try! PublicKey(bytes: pk))
    }

    /// Loads a key exported with ``secretKeyBytes``. The public half is re-derived from the seed and
    /// must match the stored one, so a corrupted file is caught at load rather than as bad tokens.
    public init(secretKeyBytes: [UInt8]) throws(KeyError) {
        guard secretKeyBytes.count == Self.secretKeyLength else { throw .invalidLength }
        Sodium.ensureReady()
        let seed = Array(secretKeyBytes[..<Int(crypto_sign_SEEDBYTES)])
        var pk = [UInt8](repeating: 0, count: PublicKey.length)
        var sk = [UInt8](repeating: 0, count: Self.secretKeyLength)
        guard crypto_sign_seed_keypair(&pk, &sk, seed) == 0 else { throw .invalidLength }
        guard constantTimeEquals(sk, secretKeyBytes) else { throw .inconsistentKeyPair }
        self.init(secretKey: sk, publicKey: try PublicKey(bytes: pk))
    }

    /// The secret key to persist (64 bytes). Treat as a secret: never log it.
    public var secretKeyBytes: [UInt8] { secretKey }

    /// Key id (the public key's).
    public var kid: String { publicKey.kid }

    /// The public key as a JWK; see ``PublicKey/jwk``.
    public var jwk: JSONValue { publicKey.jwk }

    /// The 64-byte Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        let rc = crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        precondition(rc == 0, "crypto_sign_detached failed")
        return signature
    }

    public var description: String { "SigningKey(kid: \(kid))" }
    public var customMirror: Mirror { Mirror(self, children: ["kid": kid], displayStyle: .struct) }
}
