/// Why ``PasswordHasher/hash(_:)`` refused a password.
public enum PasswordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer characters than the hasher's minimum.
    case tooShort(minimum: Int)
    /// More UTF-8 bytes than ``PasswordHasher/maximumByteLength`` (bounds the work per request).
    case tooLong
    /// libsodium could not hash (normally: the memory limit could not be allocated).
    case hashingFailed

    public var description: String {
        switch self {
        case .tooShort(let minimum): "password must have at least \(minimum) characters"
        case .tooLong: "password is too long (at most \(PasswordHasher.maximumByteLength) bytes)"
        case .hashingFailed: "password could not be hashed"
        }
    }
}
