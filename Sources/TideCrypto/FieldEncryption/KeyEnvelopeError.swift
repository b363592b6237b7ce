/// Why a key envelope could not be made, read, unlocked or changed. Nothing is changed when one
/// is thrown.
public enum KeyEnvelopeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The passphrase does not unwrap the keys.
    case wrongPassphrase
    /// A new passphrase shorter than ``KeyEnvelope/minimumPassphraseLength`` characters.
    case passphraseTooShort(minimum: Int)
    /// A passphrase longer than ``KeyEnvelope/maximumPassphraseBytes`` UTF-8 bytes.
    case passphraseTooLong
    /// The envelope is not valid JSON of the expected shape (the reason says what is wrong).
    case malformed(String)
    /// A format version this client does not know.
    case unsupportedFormat(Int64)
    /// Key-derivation parameters outside the accepted range.
    case parametersOutOfRange
    /// The passphrase unwrapped the current key but not key version N: the envelope was altered.
    case corruptedKey(UInt32)
    /// The envelope would exceed ``KeyEnvelope/maximumEncodedLength`` bytes (too many key versions).
    case tooLarge
    /// Argon2id could not allocate its memory.
    case outOfMemory
    /// The keys were wiped.
    case locked

    public var description: String {
        switch self {
        case .wrongPassphrase: "wrong passphrase"
        case .passphraseTooShort(let minimum): "the passphrase must have at least \(minimum) characters"
        case .passphraseTooLong: "the passphrase is longer than \(KeyEnvelope.maximumPassphraseBytes) bytes"
        case .malformed(let reason): "the key envelope is malformed: \(reason)"
        case .unsupportedFormat(let format): "the key envelope has format \(format), which this client does not know"
        case .parametersOutOfRange: "the key envelope's key-derivation parameters are out of range"
        case .corruptedKey(let id): "key version \(id) in the key envelope does not unwrap: the envelope was altered"
        case .tooLarge: "the key envelope would exceed \(KeyEnvelope.maximumEncodedLength) bytes"
        case .outOfMemory: "not enough memory to derive the key from the passphrase"
        case .locked: "the encryption keys are locked"
        }
    }
}
