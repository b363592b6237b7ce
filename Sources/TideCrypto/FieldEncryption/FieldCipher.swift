import CSodium

/// Encrypts and decrypts field values with a user's data keys (XChaCha20-Poly1305-IETF), and
/// computes their blind indexes.
///
/// A value is bound to its model, record id and field through the associated data
/// (``FieldEnvelope/associatedData(model:id:field:)``): a ciphertext copied to another record or
/// field fails to decrypt. New values use the ring's newest key; a value names its key version,
/// so values written before a rotation still decrypt. `[String]` fields encrypt each element
/// with the same associated data.
///
/// ```swift
/// let cipher = FieldCipher(keys: unlocked.ring)
/// let stored = try cipher.encrypt("Ward 4, bed 2", model: "Note", id: note.id, field: "body")
/// do {
///     body = try cipher.decrypt(stored, model: "Note", id: note.id, field: "body")
/// } catch {
///     body = nil; report(error.reason)      // never garbage, never a crash
/// }
/// ```
public struct FieldCipher: Sendable {
    /// The keys this cipher uses.
    public let keys: DataKeyRing

    public init(keys: DataKeyRing) {
        Sodium.ensureReady()
        self.keys = keys
    }

    /// The `tw1:` envelope of `plaintext` under the newest key and a fresh random nonce.
    public func encrypt(_ plaintext: String, model: String, id: String, field: String) throws(FieldCryptoError) -> String {
        try encrypt(plaintext, model: model, id: id, field: field,
                    keyId: keys.currentKeyId, nonce: secureRandomBytes(FieldEnvelope.nonceLength))
    }

    /// Encryption with a chosen key version and nonce: for known-answer tests only (a nonce
    /// must never repeat under one key).
    func encrypt(
        _ plaintext: String, model: String, id: String, field: String, keyId: UInt32, nonce: [UInt8]
    ) throws(FieldCryptoError) -> String {
        precondition(nonce.count == FieldEnvelope.nonceLength)
        guard let key = keys.key(keyId) else { throw .unknownKeyId(keyId) }
        let message = Array(plaintext.utf8)
        let ad = FieldEnvelope.associatedData(model: model, id: id, field: field)
        var sealed = [UInt8](repeating: 0, count: message.count + FieldEnvelope.tagLength)
        let rc: Int32
        do {
            rc = try key.withBytes { k in
                crypto_aead_xchacha20poly1305_ietf_encrypt(
                    &sealed, nil, message, UInt64(message.count), ad, UInt64(ad.count), nil, nonce,
                    k)
            }
        } catch { throw .locked }
        precondition(rc == 0, "crypto_aead_xchacha20poly1305_ietf_encrypt failed")
        return FieldEnvelope(keyId: keyId, nonce: nonce, sealed: sealed).text
    }

    /// The plaintext of a `tw1:` envelope stored at `model`/`id`/`field`.
    public func decrypt(_ value: String, model: String, id: String, field: String) throws(FieldCryptoError) -> String {
        guard value.utf8.starts(with: FieldEnvelope.prefix.utf8) else { throw .notAnEnvelope }
        guard let envelope = FieldEnvelope(parsing: value) else { throw .malformed }
        guard let key = keys.key(envelope.keyId) else { throw .unknownKeyId(envelope.keyId) }
        let ad = FieldEnvelope.associatedData(model: model, id: id, field: field)
        let sealed = envelope.sealed
        var message = [UInt8](repeating: 0, count: sealed.count - FieldEnvelope.tagLength)
        let rc: Int32
        do {
            rc = try key.withBytes { k in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    &message, nil, nil, sealed, UInt64(sealed.count), ad, UInt64(ad.count), envelope.nonce,
                    k)
            }
        } catch { throw .locked }
        guard rc == 0 else { throw .authenticationFailed }
        guard let text = String(validating: message, as: UTF8.self) else { throw .notText }
        return text
    }
}
