import CSodium

/// Argon2id password hashing (libsodium `crypto_pwhash_str`).
///
/// Hashes are self-describing strings (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`) that carry their own
/// salt and parameters, so changing the limits later still verifies old hashes; ``needsRehash(_:)``
/// tells the login path to store a fresh hash after a successful verification.
///
/// Hashing and verifying are deliberately slow and memory-hard (about 100 ms and 64 MiB at
/// ``interactive``) and block the calling thread: run them off the cooperative pool and bound how
/// many run at once.
///
/// ```swift
/// let hasher = PasswordHasher.interactive
/// let stored = try hasher.hash("correct horse battery")
/// if hasher.verify(attempt, against: stored), hasher.needsRehash(stored) {
///     save(try hasher.hash(attempt))
/// }
/// // Unknown user: spend the same time so response timing does not reveal which usernames exist.
/// _ = hasher.verifyDummy(attempt)
/// ```
public struct PasswordHasher: Sendable {
    /// Longest accepted password in UTF-8 bytes. Argon2 pre-hashes the password, so this is not about
    /// Argon2 itself: it caps the bytes a client can make us read and hash per attempt.
    public static let maximumByteLength = 1024

    /// libsodium's interactive limits (opslimit 2, memlimit 64 MiB): the production setting.
    public static let interactive = PasswordHasher(
        opsLimit: crypto_pwhash_opslimit_interactive(),
        memLimit: crypto_pwhash_memlimit_interactive(),
        minimumLength: 8
    )

    /// libsodium's minimum limits (opslimit 1, memlimit 8 KiB). **For tests only**: these hashes
    /// offer next to no resistance to offline guessing.
    public static let forTesting = PasswordHasher(
        opsLimit: crypto_pwhash_opslimit_min(),
        memLimit: crypto_pwhash_memlimit_min(),
        minimumLength: 8
    )

    /// Argon2id passes over memory.
    public let opsLimit: Int
    /// Argon2id memory in bytes.
    public let memLimit: Int
    /// Fewest characters (grapheme clusters, as a user counts them) accepted by ``hash(_:)``.
    public let minimumLength: Int

    /// - Parameters:
    ///   - opsLimit: at least `crypto_pwhash_opslimit_min()`.
    ///   - memLimit: bytes, at least `crypto_pwhash_memlimit_min()`.
    ///   - minimumLength: fewest characters a new password may have.
    public init(opsLimit: Int, memLimit: Int, minimumLength: Int) {
        Sodium.ensureReady()
        precondition(opsLimit >= crypto_pwhash_opslimit_min() && opsLimit <= crypto_pwhash_opslimit_max(),
                     "opsLimit out of libsodium's range")
        precondition(memLimit >= crypto_pwhash_memlimit_min() && memLimit <= crypto_pwhash_memlimit_max(),
                     "memLimit out of libsodium's range")
        precondition(minimumLength >= 0, "minimumLength must not be negative")
        self.opsLimit = opsLimit
        self.memLimit = memLimit
        self.minimumLength = minimumLength
    }

    /// A new salted Argon2id hash string of `password`, to store.
    ///
    /// Length rules apply here only (not in ``verify(_:against:)``), so raising the minimum later does
    /// not lock out existing users.
    public func hash(_ password: String) throws(PasswordError) -> String {
        let bytes = Array(password.utf8)
        guard bytes.count <= Self.maximumByteLength else { throw .tooLong }
        guard password.count >= minimumLength else { throw .tooShort(minimum: minimumLength) }
        var out = [CChar](repeating: 0, count: crypto_pwhash_strbytes())
        let rc = Self.withPassword(bytes) { pw, count in
            crypto_pwhash_str(&out, pw, UInt64(count), UInt64(opsLimit), memLimit)
        }
        guard rc == 0 else { throw .hashingFailed }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `password` matches `hash` (made by ``hash(_:)`` with any limits). Constant-time in
    /// the password; `false` for a malformed hash or an over-long password.
    public func verify(_ password: String, against hash: String) -> Bool {
        let bytes = Array(password.utf8)
        guard bytes.count <= Self.maximumByteLength, hash.utf8.count < crypto_pwhash_strbytes() else { return false }
        return hash.withCString { stored in
            Self.withPassword(bytes) { pw, count in crypto_pwhash_str_verify(stored, pw, UInt64(count)) == 0 }
        }
    }

    /// Does the work of a verification against nothing and returns `false`.
    ///
    /// Call it when the username is unknown: a login that skipped hashing would answer ~100 ms
    /// sooner, and that difference tells an attacker which usernames exist.
    @discardableResult
    public func verifyDummy(_ password: String) -> Bool {
        // Same Argon2id cost as verify: derive a throwaway key with this hasher's limits and a random salt.
        let bytes = Array(password.utf8.prefix(Self.maximumByteLength))
        let salt = secureRandomBytes(crypto_pwhash_saltbytes())
        var out = [UInt8](repeating: 0, count: 32)
        _ = Self.withPassword(bytes) { pw, count in
            crypto_pwhash(&out, UInt64(out.count), pw, UInt64(count), salt,
                          UInt64(opsLimit), memLimit, crypto_pwhash_alg_argon2id13())
        }
        return false
    }

    /// True when `hash` was made with other limits or another algorithm than this hasher's: after a
    /// successful login, store a new hash of the password.
    public func needsRehash(_ hash: String) -> Bool {
        guard hash.utf8.count < crypto_pwhash_strbytes() else { return true }
        // 0: same parameters; 1: different parameters; -1: not an Argon2id hash string.
        return hash.withCString { crypto_pwhash_str_needs_rehash($0, UInt64(opsLimit), memLimit) } != 0
    }

    /// Passes the password as a C pointer and its byte count. A trailing NUL keeps the buffer non-empty,
    /// so the pointer exists even for "" (libsodium declares it non-null); it is not counted.
    private static func withPassword<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>, Int) -> R) -> R {
        let chars = bytes.map { CChar(bitPattern: $0) } + [0]
        return chars.withUnsafeBufferPointer { body($0.baseAddress!, bytes.count) }
    }
}
