import TideCrypto

/// API keys look like `tw_<id>_<secret>`: `tw_` marks them for secret scanners, `<id>` is 16
/// lowercase hex characters (public, used for lookup, listing and revocation) and `<secret>` is an
/// ``OpaqueToken`` (32 random bytes, base64url), stored only as its hash.
enum APIKeyFormat {
    static let prefix = "tw_"
    static let idLength = 16

    /// A new id, secret and secret hash.
    static func generate() -> (id: String, key: String, secretHash: String) {
        let id = secureRandomBytes(idLength / 2).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
        let (secret, hash) = OpaqueToken.generate()
        return (id, prefix + id + "_" + secret, hash)
    }

    /// The id and secret of a well-formed key, or nil.
    static func parse(_ key: String) -> (id: String, secret: String)? {
        // The id is fixed-length hex, so the first `_` after it separates it from the secret
        // (which may itself contain `_`).
        let bytes = Array(key.utf8)
        let idStart = prefix.utf8.count
        let separator = idStart + idLength
        guard bytes.count > separator + 1, bytes.count <= 256, key.hasPrefix(prefix), bytes[separator] == UInt8(ascii: "_")
        else { return nil }
        let id = bytes[idStart..<separator]
        guard id.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        return (String(decoding: id, as: UTF8.self), String(decoding: bytes[(separator + 1)...], as: UTF8.self))
    }
}
