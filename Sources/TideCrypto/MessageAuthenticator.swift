import CSodium

/// Keyed message authentication (HMAC-SHA-512-256, libsodium `crypto_auth`).
///
/// Used to make opaque tokens tamper-evident (pagination `nextToken`s): the server signs what
/// it hands out and refuses anything it did not sign. Verification is constant-time.
public struct MessageAuthenticator: Sendable {
    /// Key length in bytes.
    public static let keyLength = Int(crypto_auth_KEYBYTES)
    /// Tag length in bytes.
    public static let tagLength = Int(crypto_auth_BYTES)

    private let key: [UInt8]

    /// - Parameter key: `keyLength` secret bytes.
    public init(key: [UInt8]) {
        precondition(key.count == Self.keyLength, "a MessageAuthenticator key has \(Self.keyLength) bytes")
        Sodium.ensureReady()
        self.key = key
    }

    /// A new random key.
    public static func generateKey() -> [UInt8] { secureRandomBytes(keyLength) }

    /// The authentication tag of `message`.
    public func tag(_ message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.tagLength)
        _ = crypto_auth(&out, message, UInt64(message.count), key)
        return out
    }

    /// True when `tag` authenticates `message` under this key (constant-time comparison).
    public func verify(tag: [UInt8], message: [UInt8]) -> Bool {
        guard tag.count == Self.tagLength else { return false }
        return crypto_auth_verify(tag, message, UInt64(message.count), key) == 0
    }

    /// `tag ‖ message`, base64url without padding: a compact signed token.
    public func seal(_ message: [UInt8]) -> String {
        Base64URL.encode(tag(message) + message)
    }

    /// The message inside a token made by `seal`, or `nil` when the token was not made with this key.
    public func open(_ token: String) -> [UInt8]? {
        guard let bytes = Base64URL.decode(token), bytes.count >= Self.tagLength else { return nil }
        let tag = Array(bytes[..<Self.tagLength])
        let message = Array(bytes[Self.tagLength...])
        return verify(tag: tag, message: message) ? message : nil
    }
}
