/// A user's data keys by version: the newest encrypts new values, every version decrypts.
///
/// Versions (key ids) start at 1 and grow by one per rotation; a field envelope names the
/// version that encrypted it, so old values stay readable after a rotation. The ring holds
/// references to guarded ``SecretKey``s: ``wipe()`` zeroes every one of them, in this ring
/// and in every copy of it.
///
/// ```swift
/// let unlocked = try envelope.unlock(passphrase: passphrase)
/// let cipher = FieldCipher(keys: unlocked.ring)
/// // … at sign-out:
/// unlocked.wipe()
/// ```
public struct DataKeyRing: Sendable, CustomStringConvertible {
    /// The version new values are encrypted (and blind-indexed) with: the highest one.
    public let currentKeyId: UInt32
    private let keys: [UInt32: SecretKey]

    /// - Parameter keys: at least one key; the highest id becomes ``currentKeyId``. Ids start at 1.
    init(keys: [UInt32: SecretKey]) {
        precondition(!keys.isEmpty && keys.keys.allSatisfy { $0 > 0 }, "a key ring needs keys with ids from 1")
        self.keys = keys
        currentKeyId = keys.keys.max()!
    }

    /// Every version held, ascending.
    public var keyIds: [UInt32] { keys.keys.sorted() }

    /// The key of version `id`, if held.
    func key(_ id: UInt32) -> SecretKey? { keys[id] }

    /// The newest key.
    var currentKey: SecretKey { keys[currentKeyId]! }

    /// A ring with `key` added as the next version (rotation).
    func adding(_ key: SecretKey) -> DataKeyRing {
        var next = keys
        next[currentKeyId + 1] = key
        return DataKeyRing(keys: next)
    }

    /// Zeroes every key (`sodium_memzero`); afterwards every use throws.
    public func wipe() {
        for key in keys.values { key.wipe() }
    }

    /// True once the keys were wiped.
    public var isWiped: Bool { keys.values.allSatisfy(\.isWiped) }

    public var description: String { "DataKeyRing(versions: \(keyIds), current: \(currentKeyId))" }
}
