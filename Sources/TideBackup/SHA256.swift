import CSodium

/// Streaming SHA-256 (libsodium `crypto_hash_sha256_*`), hex-encoded, for the manifest.
struct SHA256 {
    private var state = crypto_hash_sha256_state()

    init() {
        _ = sodium_init()
        crypto_hash_sha256_init(&state)
    }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        crypto_hash_sha256_update(&state, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    mutating func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        crypto_hash_sha256_final(&state, &digest)
        let hex = Array("0123456789abcdef")
        return String(digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0x0f)]] })
    }
}
