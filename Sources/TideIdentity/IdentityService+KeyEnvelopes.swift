/// Key envelopes (`/auth/key-envelope`, docs/ENCRYPTION.md): each user's data keys wrapped under
/// their passphrase, stored for their other devices. Opaque here: never parsed, never logged.
extension IdentityService {
    /// The user's envelope and its version, nil when none was stored.
    public func keyEnvelope(userID: String) throws(IdentityError) -> StoredKeyEnvelope? {
        try storage(store.keyEnvelope(userID: userID))
    }

    /// Stores `envelope` (JSON) for the user when the stored version is `expectedVersion` (0: the
    /// first); returns the new version.
    ///
    /// - Throws: ``IdentityError/versionConflict(current:)`` when another device changed it first;
    ///   ``IdentityError/unauthenticated(reason:)`` when the user was removed.
    public func storeKeyEnvelope(_ envelope: [UInt8], userID: String, expectedVersion: Int64) throws(IdentityError) -> Int64 {
        switch try storage(store.putKeyEnvelope(userID: userID, envelope: envelope, expectedVersion: expectedVersion, at: configuration.now())) {
        case .stored(let version): return version
        case .conflict(let current): throw .versionConflict(current: current)
        case .noSuchUser: throw .unauthenticated(reason: "the user no longer exists")
        }
    }
}
