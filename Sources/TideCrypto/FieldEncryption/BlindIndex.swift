import CSodium

/// Blind indexes: a keyed hash of a field's plaintext that the server can compare for equality
/// without learning the value (ARCHITECTURE §9.3, `@encrypted(blindIndex: true)`).
///
/// For data-key version k, model M and field F:
///
/// 1. `root = crypto_kdf_derive_from_key(32, subkey_id: 1, context: "tw1blind", key: dataKey_k)`
///    (BLAKE2b with the subkey id as salt and the context as personalisation);
/// 2. `fieldKey = BLAKE2b-256(key: root, message: M ‖ 0x00 ‖ F)`;
/// 3. `index = base64url(BLAKE2b-128(key: fieldKey, message: UTF-8 of NFC(plaintext)))`, 22 characters.
///
/// The per-field key keeps equal values in different fields or models from having equal
/// indexes. The plaintext is put in Unicode NFC (case kept), so "é" typed composed on one
/// device and decomposed on another matches. A value is indexed under the key version that
/// encrypted it; an equality filter is sent with the index under every version the user holds
/// (``FieldCipher/blindIndexes(of:model:field:)``), so values written before a rotation are
/// still found (docs/ENCRYPTION.md says why the index key rotates with the data key).
///
/// ```swift
/// let index = try cipher.blindIndex(of: "A+", model: "Patient", field: "bloodType")
/// input["bloodTypeBlindIndex"] = .string(index)
/// let filter = ["bloodTypeBlindIndex": ["in": try cipher.blindIndexes(of: "A+", model: "Patient", field: "bloodType")]]
/// ```
extension FieldCipher {
    /// Bytes of the hash before base64url.
    public static let blindIndexLength = 16
    /// The `crypto_kdf` context of the blind-index root key (8 bytes).
    static let blindIndexContext = "tw1blind"
    /// The `crypto_kdf` subkey id of the blind-index root key.
    static let blindIndexSubkeyId: UInt64 = 1

    /// The blind index of `plaintext` for `model`.`field` under the newest key: what a write sends
    /// beside the value it encrypted with that key.
    public func blindIndex(of plaintext: String, model: String, field: String) throws(FieldCryptoError) -> String {
        try blindIndex(of: plaintext, model: model, field: field, keyId: keys.currentKeyId)
    }

    /// The blind index of `plaintext` under key version `keyId`.
    public func blindIndex(of plaintext: String, model: String, field: String, keyId: UInt32) throws(FieldCryptoError) -> String {
        guard let key = keys.key(keyId) else { throw .unknownKeyId(keyId) }
        var fieldKey: [UInt8]
        do { fieldKey = try Self.blindIndexFieldKey(key, model: model, field: field) } catch { throw .locked }
        defer { SecretKey.zero(&fieldKey) }
        let message = Self.nfcBytes(plaintext)
        var out = [UInt8](repeating: 0, count: Self.blindIndexLength)
        let rc = crypto_generichash(&out, out.count, message, UInt64(message.count), fieldKey, fieldKey.count)
        precondition(rc == 0, "crypto_generichash failed")
        return Base64URL.encode(out)
    }

    /// The blind index of `plaintext` under every key version held, oldest first: an equality
    /// filter matches a stored index with `in` over these.
    public func blindIndexes(of plaintext: String, model: String, field: String) throws(FieldCryptoError) -> [String] {
        var indexes: [String] = []
        for id in keys.keyIds { indexes.append(try blindIndex(of: plaintext, model: model, field: field, keyId: id)) }
        return indexes
    }

    /// The UTF-8 bytes of `text` in Unicode NFC.
    ///
    /// The standard library's normaliser (the one `String` comparison uses, current Unicode data):
    /// Foundation's `precomposedStringWithCanonicalMapping` on Linux left U+AC00 U+11A8 (an LV
    /// Hangul syllable and a trailing jamo) uncomposed, where NFC gives U+AC01.
    static func nfcBytes(_ text: String) -> [UInt8] { text._nfcCodeUnits }

    /// Steps 1 and 2 above. The caller zeroes the result.
    private static func blindIndexFieldKey(_ key: SecretKey, model: String, field: String) throws(SecretKeyError) -> [UInt8] {
        var root = [UInt8](repeating: 0, count: 32)
        defer { SecretKey.zero(&root) }
        let context = Array(blindIndexContext.utf8).map { CChar(bitPattern: $0) }
        let rc = try key.withBytes { k in
            crypto_kdf_derive_from_key(&root, root.count, blindIndexSubkeyId, context, k)
        }
        precondition(rc == 0, "crypto_kdf_derive_from_key failed")
        let label = Array(model.utf8) + [0] + Array(field.utf8)
        var fieldKey = [UInt8](repeating: 0, count: 32)
        precondition(crypto_generichash(&fieldKey, fieldKey.count, label, UInt64(label.count), root, root.count) == 0)
        return fieldKey
    }
}
