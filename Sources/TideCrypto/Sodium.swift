import CSodium

/// libsodium must be initialised once before use; `sodium_init` is idempotent and thread-safe.
enum Sodium {
    static let ready: Bool = sodium_init() >= 0

    static func ensureReady() {
        precondition(ready, "libsodium could not be initialised")
    }
}

/// Cryptographically secure random bytes (libsodium `randombytes_buf`).
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    Sodium.ensureReady()
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
    return bytes
}
