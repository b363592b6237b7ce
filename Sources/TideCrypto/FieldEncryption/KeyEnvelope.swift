import CSodium
import TideModel

/// A user's data keys, wrapped under their passphrase: the opaque JSON the server keeps at
/// `/auth/key-envelope` so that another device can unlock the same keys (ARCHITECTURE §9.3).
///
/// ```json
/// {"currentKeyId": 2, "formatVersion": 1,
///  "kdf": {"alg": "argon2id13", "memlimit": 67108864, "opslimit": 3, "salt": "<16 bytes>"},
///  "keys": [{"id": 1, "nonce": "<24 bytes>", "wrapped": "<48 bytes>"}, {"id": 2, …}]}
/// ```
/// (byte strings in base64url without padding). The wrapping key is Argon2id of the passphrase
/// (NFC, UTF-8) with the salt and limits above; each data key is sealed with
/// XChaCha20-Poly1305-IETF under it with its own random nonce and the associated data
/// `"tw1-key-wrap" ‖ 0x00 ‖ id (4 bytes, big-endian)`, so a wrapped key cannot be passed off as
/// another version. A passphrase change re-wraps the same data keys under a new salt (no stored
/// value changes); a rotation adds a version.
///
/// ```swift
/// let unlocked = try KeyEnvelope.create(passphrase: passphrase)          // keys init
/// try await server.putKeyEnvelope(unlocked.envelope.json, expectedVersion: 0)
/// let again = try KeyEnvelope(json: fetched).unlock(passphrase: typed)   // keys unlock, another device
/// let changed = try again.changingPassphrase(to: newPassphrase)          // keys change-passphrase
/// let rotated = try again.rotating()                                     // keys rotate
/// ```
///
/// Argon2id runs for about a third of a second at ``KeyDerivationParameters/standard`` and blocks
/// the calling thread: call `create`, `unlock` and `changingPassphrase` off the cooperative pool.
public struct KeyEnvelope: Sendable, Equatable {
    /// The format this type reads and writes.
    public static let formatVersion: Int64 = 1
    /// The most the server stores.
    public static let maximumEncodedLength = 4096
    /// Bytes of the Argon2id salt (`crypto_pwhash_SALTBYTES`).
    public static let saltLength = Int(crypto_pwhash_SALTBYTES)
    /// Fewest characters of a new passphrase.
    public static let minimumPassphraseLength = 8
    /// Most UTF-8 bytes of a passphrase.
    public static let maximumPassphraseBytes = 1024

    /// One data key version, sealed under the wrapping key.
    public struct WrappedKey: Sendable, Equatable {
        public let id: UInt32
        public let nonce: [UInt8]
        /// The 32-byte key followed by the 16-byte tag.
        public let wrapped: [UInt8]
    }

    public let parameters: KeyDerivationParameters
    public let salt: [UInt8]
    /// The version new values are encrypted with.
    public let currentKeyId: UInt32
    /// Every version, ascending by id.
    public let keys: [WrappedKey]

    // MARK: Creating and unlocking

    /// A new envelope holding one random data key (version 1), wrapped under `passphrase`.
    public static func create(
        passphrase: String, parameters: KeyDerivationParameters = .standard
    ) throws(KeyEnvelopeError) -> UnlockedKeys {
        try checkNewPassphrase(passphrase)
        let dataKey = SecretKey.random()
        return try wrap(ring: DataKeyRing(keys: [1: dataKey]), passphrase: passphrase, parameters: parameters,
                        salt: secureRandomBytes(saltLength))
    }

    /// The data keys, unwrapped with `passphrase`. Throws ``KeyEnvelopeError/wrongPassphrase``
    /// when it does not unwrap the current key.
    public func unlock(passphrase: String) throws(KeyEnvelopeError) -> UnlockedKeys {
        guard passphrase.utf8.count <= Self.maximumPassphraseBytes else { throw .passphraseTooLong }
        return try unlock(wrappingKey: try parameters.deriveKey(passphrase: passphrase, salt: salt))
    }

    /// The data keys, unwrapped with the key derived from the passphrase (as a key agent holds
    /// it: ``UnlockedKeys/withWrappingKey(_:)``), without running Argon2id again. Takes
    /// ownership of `wrappingKey` (it is wiped when it does not unwrap the current key).
    public func unlock(wrappingKey: SecretKey) throws(KeyEnvelopeError) -> UnlockedKeys {
        var unwrapped: [UInt32: SecretKey] = [:]
        // The current key first: when it fails the passphrase is wrong; when another fails, that entry was altered.
        for entry in keys.sorted(by: { a, _ in a.id == currentKeyId }) {
            guard let key = try Self.unwrap(entry, with: wrappingKey) else {
                for key in unwrapped.values { key.wipe() }
                wrappingKey.wipe()
                throw entry.id == currentKeyId ? .wrongPassphrase : .corruptedKey(entry.id)
            }
            unwrapped[entry.id] = key
        }
        return UnlockedKeys(envelope: self, ring: DataKeyRing(keys: unwrapped), wrappingKey: wrappingKey)
    }

    /// Wraps every key of `ring` under a key derived from `passphrase` and `salt`.
    static func wrap(
        ring: DataKeyRing, passphrase: String, parameters: KeyDerivationParameters, salt: [UInt8],
        nonces: [UInt32: [UInt8]] = [:]
    ) throws(KeyEnvelopeError) -> UnlockedKeys {
        guard passphrase.utf8.count <= maximumPassphraseBytes else { throw .passphraseTooLong }
        let wrappingKey = try parameters.deriveKey(passphrase: passphrase, salt: salt)
        let envelope = try KeyEnvelope(
            parameters: parameters, salt: salt, ring: ring, wrappingKey: wrappingKey, nonces: nonces)
        return UnlockedKeys(envelope: envelope, ring: ring, wrappingKey: wrappingKey)
    }

    /// Seals every key of `ring` under `wrappingKey` (with the given nonces where set: known-answer tests).
    init(
        parameters: KeyDerivationParameters, salt: [UInt8], ring: DataKeyRing, wrappingKey: SecretKey,
        nonces: [UInt32: [UInt8]] = [:]
    ) throws(KeyEnvelopeError) {
        var keys: [WrappedKey] = []
        for id in ring.keyIds {
            let nonce = nonces[id] ?? secureRandomBytes(FieldEnvelope.nonceLength)
            var sealed = [UInt8](repeating: 0, count: SecretKey.length + FieldEnvelope.tagLength)
            let ad = Self.wrapAssociatedData(id)
            // nil when either key was wiped.
            let outcome = try? ring.key(id)!.withBytes { dataKey in
                try? wrappingKey.withBytes { kek in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        &sealed, nil, dataKey, UInt64(SecretKey.length), ad, UInt64(ad.count), nil, nonce, kek)
                }
            }
            guard let rc = outcome ?? nil else { throw .locked }
            precondition(rc == 0, "crypto_aead_xchacha20poly1305_ietf_encrypt failed")
            keys.append(WrappedKey(id: id, nonce: nonce, wrapped: sealed))
        }
        self.parameters = parameters
        self.salt = salt
        self.currentKeyId = ring.currentKeyId
        self.keys = keys
        guard jsonBytes.count <= Self.maximumEncodedLength else { throw .tooLarge }
    }

    /// The data key in `entry`, or nil when it does not authenticate under `wrappingKey`.
    private static func unwrap(_ entry: WrappedKey, with wrappingKey: SecretKey) throws(KeyEnvelopeError) -> SecretKey? {
        let ad = wrapAssociatedData(entry.id)
        var failed = false
        let key: SecretKey
        do {
            key = try wrappingKey.withBytes { kek in
                SecretKey { out in
                    failed = crypto_aead_xchacha20poly1305_ietf_decrypt(
                        out.assumingMemoryBound(to: UInt8.self), nil, nil, entry.wrapped, UInt64(entry.wrapped.count),
                        ad, UInt64(ad.count), entry.nonce, kek) != 0
                }
            }
        } catch { throw .locked }
        guard !failed else {
            key.wipe()
            return nil
        }
        return key
    }

    /// `"tw1-key-wrap" ‖ 0x00 ‖ id` (big-endian).
    static func wrapAssociatedData(_ id: UInt32) -> [UInt8] {
        Array("tw1-key-wrap".utf8) + [0, UInt8(id >> 24), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)]
    }

    static func checkNewPassphrase(_ passphrase: String) throws(KeyEnvelopeError) {
        guard passphrase.utf8.count <= maximumPassphraseBytes else { throw .passphraseTooLong }
        guard passphrase.count >= minimumPassphraseLength else { throw .passphraseTooShort(minimum: minimumPassphraseLength) }
    }

    // MARK: JSON

    /// Reads an envelope from its JSON (as stored on the server).
    public init(json: some Collection<UInt8>) throws(KeyEnvelopeError) {
        guard json.count <= Self.maximumEncodedLength else { throw .tooLarge }
        let value: JSONValue
        do { value = try JSONParser.parse(json) } catch { throw .malformed("not JSON") }
        guard case .object(let object) = value else { throw .malformed("not a JSON object") }
        guard let format = object["formatVersion"]?.intValue else { throw .malformed("no formatVersion") }
        guard format == Self.formatVersion else { throw .unsupportedFormat(format) }
        guard let kdf = object["kdf"]?.objectValue, kdf["alg"]?.stringValue == "argon2id13" else {
            throw .malformed("kdf.alg must be argon2id13")
        }
        guard let ops = kdf["opslimit"]?.intValue, let mem = kdf["memlimit"]?.intValue else {
            throw .malformed("kdf.opslimit and kdf.memlimit must be integers")
        }
        guard let parameters = KeyDerivationParameters(opsLimit: Int(ops), memLimit: Int(mem)) else {
            throw .parametersOutOfRange
        }
        guard let salt = Self.bytes(kdf["salt"], count: Self.saltLength) else { throw .malformed("kdf.salt") }
        guard let current = Self.keyId(object["currentKeyId"]) else { throw .malformed("currentKeyId") }
        guard let entries = object["keys"]?.arrayValue, !entries.isEmpty else { throw .malformed("keys") }
        var keys: [WrappedKey] = []
        for entry in entries {
            guard let id = Self.keyId(entry["id"]),
                  let nonce = Self.bytes(entry["nonce"], count: FieldEnvelope.nonceLength),
                  let wrapped = Self.bytes(entry["wrapped"], count: SecretKey.length + FieldEnvelope.tagLength)
            else { throw .malformed("keys[\(keys.count)]") }
            keys.append(WrappedKey(id: id, nonce: nonce, wrapped: wrapped))
        }
        keys.sort { $0.id < $1.id }
        guard Set(keys.map(\.id)).count == keys.count else { throw .malformed("a key id appears twice") }
        guard keys.last?.id == current else { throw .malformed("currentKeyId is not the highest key id") }
        self.parameters = parameters
        self.salt = salt
        self.currentKeyId = current
        self.keys = keys
    }

    /// Reads an envelope from its JSON text.
    public init(json: String) throws(KeyEnvelopeError) { try self.init(json: Array(json.utf8)) }

    /// The envelope as JSON (keys sorted; what the server stores).
    public var json: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// The envelope as JSON bytes.
    public var jsonBytes: [UInt8] {
        let value: JSONValue = [
            "formatVersion": .int(Self.formatVersion),
            "kdf": [
                "alg": "argon2id13",
                "opslimit": .int(Int64(parameters.opsLimit)),
                "memlimit": .int(Int64(parameters.memLimit)),
                "salt": .string(Base64URL.encode(salt)),
            ],
            "currentKeyId": .int(Int64(currentKeyId)),
            "keys": .array(keys.map { key in
                ["id": .int(Int64(key.id)), "nonce": .string(Base64URL.encode(key.nonce)),
                 "wrapped": .string(Base64URL.encode(key.wrapped))]
            }),
        ]
        var writer = JSONWriter()
        writer.write(value)
        return writer.bytes
    }

    private static func bytes(_ value: JSONValue?, count: Int) -> [UInt8]? {
        guard let text = value?.stringValue, let bytes = Base64URL.decode(text), bytes.count == count else { return nil }
        return bytes
    }

    private static func keyId(_ value: JSONValue?) -> UInt32? {
        guard let id = value?.intValue, id > 0, id <= Int64(UInt32.max) else { return nil }
        return UInt32(id)
    }
}
