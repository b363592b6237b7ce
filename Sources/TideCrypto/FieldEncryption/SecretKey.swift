import CSodium
import Synchronization

/// A 256-bit secret key (a data key or a key-wrapping key) in libsodium's guarded memory.
///
/// The bytes live in a `sodium_malloc` allocation (locked against swapping where the system
/// allows it, with guard pages around it), never in a Swift array that the runtime may copy.
/// ``wipe()`` overwrites them with `sodium_memzero` at once; deinit does the same when the last
/// reference goes. A wiped key refuses every use (``SecretKeyError/wiped``), so code that still
/// holds a key after a lock cannot use it by accident. `description` never shows the bytes.
///
/// ```swift
/// let key = SecretKey.random()
/// let tag = try key.withBytes { bytes in mac(message, key: bytes) }   // bytes: UnsafePointer<UInt8>
/// key.wipe()   // sign-out: the bytes are zero now; withBytes throws .wiped
/// ```
public final class SecretKey: Sendable, CustomStringConvertible, CustomReflectable {
    /// Key length in bytes.
    public static let length = 32

    /// The allocation's address, or 0 once wiped. The lock keeps a wipe from racing a use of the
    /// bytes. An integer rather than a pointer: a Sendable value the lock can lend to a closure.
    private let storage: Mutex<UInt>

    /// A new key of `length` random bytes (libsodium `randombytes_buf`).
    public static func random() -> SecretKey {
        SecretKey { randombytes_buf($0, length) }
    }

    /// A key holding a copy of `bytes` (`length` of them); the caller's array is overwritten with
    /// zeros, so the only copy left is the guarded one.
    public convenience init(consuming bytes: inout [UInt8]) throws(SecretKeyError) {
        guard bytes.count == Self.length else {
            Self.zero(&bytes)
            throw .invalidLength
        }
        self.init { pointer in bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: Self.length) } }
        Self.zero(&bytes)
    }

    /// A key whose bytes `fill` writes into the guarded allocation (`length` bytes).
    init(filling fill: (UnsafeMutableRawPointer) -> Void) {
        Sodium.ensureReady()
        guard let pointer = sodium_malloc(Self.length) else {
            preconditionFailure("sodium_malloc could not allocate \(Self.length) bytes")
        }
        fill(pointer)
        storage = Mutex(UInt(bitPattern: pointer))
    }

    deinit { wipe() }

    /// Calls `body` with a pointer to the key's ``length`` bytes, as libsodium takes keys. The
    /// pointer is valid only inside `body`: do not keep it or copy the bytes out. Throws
    /// ``SecretKeyError/wiped`` after ``wipe()``.
    public func withBytes<R>(_ body: (UnsafePointer<UInt8>) -> R) throws(SecretKeyError) -> R {
        let result: R? = storage.withLock { address in
            guard let pointer = UnsafePointer<UInt8>(bitPattern: address) else { return nil }
            return body(pointer)
        }
        guard let result else { throw .wiped }
        return result
    }

    /// Overwrites the bytes with zeros (`sodium_memzero`) and frees them; idempotent.
    public func wipe() {
        storage.withLock { address in
            guard let allocation = UnsafeMutableRawPointer(bitPattern: address) else { return }
            sodium_memzero(allocation, Self.length)
            sodium_free(allocation)
            address = 0
        }
    }

    /// True after ``wipe()``.
    public var isWiped: Bool { storage.withLock { $0 == 0 } }

    public var description: String { "SecretKey(\(isWiped ? "wiped" : "32 bytes"))" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .class) }

    /// Overwrites a Swift array's bytes with zeros (best effort: copies the runtime made earlier are out of reach).
    static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }
}

/// Why a ``SecretKey`` could not be made or used.
public enum SecretKeyError: Error, Sendable, Equatable {
    /// The bytes are not ``SecretKey/length`` long.
    case invalidLength
    /// The key was wiped (locked, signed out).
    case wiped
}
