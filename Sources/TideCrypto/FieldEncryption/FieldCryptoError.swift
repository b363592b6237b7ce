/// Why a field value could not be encrypted, decrypted or blind-indexed.
///
/// A client shows a value that fails to decrypt as null and reports ``reason``; it never shows
/// the bytes. Wrong key, a ciphertext moved to another record or field, and tampering all fail
/// the same authentication check and cannot be told apart (``authenticationFailed``).
public enum FieldCryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The keys were wiped (locked, signed out).
    case locked
    /// The value does not start with `tw1:` (plain text, or a format this client does not know).
    case notAnEnvelope
    /// `tw1:` followed by something that is not base64url of key id ‖ nonce ‖ ciphertext ‖ tag.
    case malformed
    /// The envelope names a data-key version this client does not hold.
    case unknownKeyId(UInt32)
    /// The ciphertext does not authenticate under its key and this record, model and field:
    /// a wrong key, a ciphertext copied from another record or field, or altered bytes.
    case authenticationFailed
    /// The decrypted bytes are not UTF-8 text.
    case notText
    /// A field value that is neither a string, a list of strings nor null.
    case unsupportedValue

    /// One line saying why, for logs and for the app (never includes the value).
    public var reason: String {
        switch self {
        case .locked: "the encryption keys are locked"
        case .notAnEnvelope: "the value is not an encrypted field value (no tw1: prefix)"
        case .malformed: "the encrypted value is malformed"
        case .unknownKeyId(let id): "the value was encrypted with key version \(id), which this client does not have"
        case .authenticationFailed:
            "the value does not decrypt here: wrong key, copied from another record or field, or altered"
        case .notText: "the decrypted value is not UTF-8 text"
        case .unsupportedValue: "an encrypted field holds a string or a list of strings"
        }
    }

    public var description: String { reason }
}
