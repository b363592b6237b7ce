/// A key envelope opened with its passphrase: the data keys, and the wrapping key that lets a
/// rotation add a version without asking for the passphrase again.
///
/// Keep one in memory while the user is signed in and call ``wipe()`` at sign-out or lock.
/// The values returned by ``changingPassphrase(to:parameters:)`` and ``rotating()`` share the data
/// keys with this one: keep the new value, drop this one, and wipe only the one you keep.
///
/// ```swift
/// var unlocked = try envelope.unlock(passphrase: passphrase)
/// unlocked = try unlocked.rotating()
/// try await server.putKeyEnvelope(unlocked.envelope.json, expectedVersion: version)
/// ```
public struct UnlockedKeys: Sendable {
    /// The envelope these keys are wrapped in (store it on the server after a change).
    public let envelope: KeyEnvelope
    /// The data keys.
    public let ring: DataKeyRing
    let wrappingKey: SecretKey

    init(envelope: KeyEnvelope, ring: DataKeyRing, wrappingKey: SecretKey) {
        self.envelope = envelope
        self.ring = ring
        self.wrappingKey = wrappingKey
    }

    /// The same data keys wrapped under `newPassphrase` with a new salt: no encrypted value changes.
    public func changingPassphrase(
        to newPassphrase: String, parameters: KeyDerivationParameters = .standard
    ) throws(KeyEnvelopeError) -> UnlockedKeys {
        try KeyEnvelope.checkNewPassphrase(newPassphrase)
        guard !ring.isWiped else { throw .locked }
        return try KeyEnvelope.wrap(ring: ring, passphrase: newPassphrase, parameters: parameters,
                                    salt: secureRandomBytes(KeyEnvelope.saltLength))
    }

    /// A new random data key as the next version, wrapped with the others. New values use it;
    /// old ones keep decrypting with theirs. Throws ``KeyEnvelopeError/tooLarge`` when the
    /// envelope would no longer fit the server's limit.
    public func rotating() throws(KeyEnvelopeError) -> UnlockedKeys {
        guard !ring.isWiped else { throw .locked }
        let next = ring.adding(SecretKey.random())
        let envelope = try KeyEnvelope(
            parameters: envelope.parameters, salt: envelope.salt, ring: next, wrappingKey: wrappingKey)
        return UnlockedKeys(envelope: envelope, ring: next, wrappingKey: wrappingKey)
    }

    /// Calls `body` with the wrapping key's bytes (``SecretKey/length`` of them), for a key agent
    /// that hands the unlocked state to another process of the same user
    /// (``KeyEnvelope/unlock(wrappingKey:)`` opens the envelope with them). Do not keep or log them.
    public func withWrappingKey<R>(_ body: (UnsafePointer<UInt8>) -> R) throws(SecretKeyError) -> R {
        try wrappingKey.withBytes(body)
    }

    /// Zeroes the data keys and the wrapping key.
    public func wipe() {
        ring.wipe()
        wrappingKey.wipe()
    }
}
