import CSodium

/// Argon2id cost of deriving the key-wrapping key from a passphrase (libsodium `crypto_pwhash`,
/// algorithm `argon2id13`, one lane). Stored in the key envelope, so a later change of the
/// default still unlocks old envelopes, and the next passphrase change uses the new default.
public struct KeyDerivationParameters: Sendable, Equatable, CustomStringConvertible {
    /// Passes over memory (`opslimit`).
    public let opsLimit: Int
    /// Memory in bytes (`memlimit`).
    public let memLimit: Int

    /// The default: 3 passes over 64 MiB (about 0.3 s on a laptop core). An attacker holding the
    /// server's data pays this per passphrase guess; 64 MiB still fits a phone's budget.
    public static let standard = KeyDerivationParameters(uncheckedOpsLimit: 3, memLimit: 64 << 20)

    /// libsodium's minimum (1 pass, 8 KiB). **For tests only**: no resistance to guessing.
    public static let forTesting = KeyDerivationParameters(
        uncheckedOpsLimit: crypto_pwhash_opslimit_min(), memLimit: crypto_pwhash_memlimit_min())

    /// The most an envelope may ask for: a tampered envelope must not make a client spend
    /// gigabytes or minutes before it can say "wrong passphrase".
    public static let maximumOpsLimit = 16
    public static let maximumMemLimit = 1 << 30

    /// Nil when the limits are outside libsodium's minimum and this type's maximum.
    public init?(opsLimit: Int, memLimit: Int) {
        guard (crypto_pwhash_opslimit_min()...Self.maximumOpsLimit).contains(opsLimit),
              (crypto_pwhash_memlimit_min()...Self.maximumMemLimit).contains(memLimit)
        else { return nil }
        self.init(uncheckedOpsLimit: opsLimit, memLimit: memLimit)
    }

    private init(uncheckedOpsLimit: Int, memLimit: Int) {
        opsLimit = uncheckedOpsLimit
        self.memLimit = memLimit
    }

    public var description: String { "argon2id13(opslimit: \(opsLimit), memlimit: \(memLimit))" }

    /// The 32-byte key derived from `passphrase` (NFC, UTF-8) and `salt`. Slow by design: blocks
    /// the calling thread for the whole Argon2id run.
    func deriveKey(passphrase: String, salt: [UInt8]) throws(KeyEnvelopeError) -> SecretKey {
        precondition(salt.count == KeyEnvelope.saltLength)
        // NFC: a passphrase typed on two systems whose keyboards compose accents differently is the same passphrase.
        let bytes = FieldCipher.nfcBytes(passphrase).map { CChar(bitPattern: $0) } + [0]
        var failed = false
        let key = SecretKey { out in
            failed = crypto_pwhash(
                out.assumingMemoryBound(to: UInt8.self), UInt64(SecretKey.length), bytes, UInt64(bytes.count - 1), salt,
                UInt64(opsLimit), memLimit, crypto_pwhash_alg_argon2id13()) != 0
        }
        // crypto_pwhash fails only when it cannot allocate memLimit bytes.
        guard !failed else { throw .outOfMemory }
        return key
    }
}
