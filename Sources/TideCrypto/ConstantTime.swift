import CSodium

/// Compares two secrets in time that depends only on their length (libsodium `sodium_memcmp`),
/// so an attacker cannot learn how many leading bytes of a guess were right.
///
/// A length mismatch returns `false` at once: lengths of the secrets compared here (tags, hashes)
/// are fixed and public.
///
/// ```swift
/// constantTimeEquals(storedHashBytes, presentedHashBytes)
/// ```
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    Sodium.ensureReady()
    return sodium_memcmp(a, b, a.count) == 0
}
