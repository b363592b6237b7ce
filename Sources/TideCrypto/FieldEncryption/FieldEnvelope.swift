import CSodium

/// The wire and storage form of an encrypted field value (ARCHITECTURE §9.3):
/// `"tw1:" + base64url-no-padding(keyId ‖ nonce ‖ ciphertext ‖ tag)`.
///
/// | bytes | content |
/// |---|---|
/// | 4 | key id: the data-key version, big-endian |
/// | 24 | XChaCha20-Poly1305 nonce, random per value |
/// | n + 16 | ciphertext of the n-byte UTF-8 plaintext, then the Poly1305 tag |
///
/// Parsing checks the form only (prefix, canonical base64url, length); it needs no key, so the
/// server uses it to refuse a value that is not encrypted.
///
/// ```swift
/// guard FieldEnvelope(parsing: value) != nil else { throw BadInput("Note.body must be encrypted") }
/// ```
public struct FieldEnvelope: Sendable, Equatable {
    /// The format marker every envelope starts with.
    public static let prefix = "tw1:"
    /// Bytes of the key id.
    public static let keyIdLength = 4
    /// Bytes of the nonce (`crypto_aead_xchacha20poly1305_ietf_NPUBBYTES`).
    public static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// Bytes of the authentication tag (`crypto_aead_xchacha20poly1305_ietf_ABYTES`).
    public static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    /// The shortest decoded envelope: an empty plaintext.
    public static let minimumLength = keyIdLength + nonceLength + tagLength

    /// The data-key version that encrypted the value.
    public let keyId: UInt32
    /// The nonce (24 bytes).
    public let nonce: [UInt8]
    /// Ciphertext followed by the tag.
    public let sealed: [UInt8]

    init(keyId: UInt32, nonce: [UInt8], sealed: [UInt8]) {
        self.keyId = keyId
        self.nonce = nonce
        self.sealed = sealed
    }

    /// The envelope in `text`, or nil when `text` is not of the `tw1:` form.
    public init?(parsing text: String) {
        // Bytes, not Characters: "tw1:" followed by a combining mark is not the prefix either way.
        guard text.utf8.starts(with: Self.prefix.utf8),
              let bytes = Base64URL.decode(String(decoding: text.utf8.dropFirst(Self.prefix.utf8.count), as: UTF8.self)),
              bytes.count >= Self.minimumLength
        else { return nil }
        keyId = bytes[0..<4].reduce(0) { $0 << 8 | UInt32($1) }
        nonce = Array(bytes[4..<(4 + Self.nonceLength)])
        sealed = Array(bytes[(4 + Self.nonceLength)...])
    }

    /// True when `text` is of the `tw1:` form (what the server accepts for an `@encrypted` field).
    public static func isWellFormed(_ text: String) -> Bool { FieldEnvelope(parsing: text) != nil }

    /// The `tw1:` text.
    public var text: String {
        let id: [UInt8] = [UInt8(keyId >> 24), UInt8(keyId >> 16 & 0xFF), UInt8(keyId >> 8 & 0xFF), UInt8(keyId & 0xFF)]
        return Self.prefix + Base64URL.encode(id + nonce + sealed)
    }

    /// The associated data that binds a value to its place: `model ‖ 0x00 ‖ id ‖ 0x00 ‖ field` in
    /// UTF-8. Model and field names cannot contain NUL, so the split is unambiguous even for an
    /// id that does.
    public static func associatedData(model: String, id: String, field: String) -> [UInt8] {
        Array(model.utf8) + [0] + Array(id.utf8) + [0] + Array(field.utf8)
    }
}
