import CSodium

/// Unkeyed BLAKE2b (libsodium `crypto_generichash`), for fingerprints of public or high-entropy data.
enum GenericHash {
    /// The `length`-byte BLAKE2b digest of `bytes` (`length` within libsodium's 16…64).
    static func digest(_ bytes: [UInt8], length: Int = Int(crypto_generichash_BYTES)) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: length)
        let rc = crypto_generichash(&out, length, bytes, UInt64(bytes.count), nil, 0)
        precondition(rc == 0, "crypto_generichash failed")
        return out
    }
}
