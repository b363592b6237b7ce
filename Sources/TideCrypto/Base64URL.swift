import CSodium

/// Base64url without padding (RFC 4648 §5), via libsodium's constant-time codec.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Sodium.ensureReady()
        let variant = Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)
        let length = sodium_base64_encoded_len(bytes.count, variant)
        var out = [CChar](repeating: 0, count: length)
        _ = sodium_bin2base64(&out, length, bytes, bytes.count, variant)
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        Sodium.ensureReady()
        let variant = Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)
        let input = Array(text.utf8)
        var out = [UInt8](repeating: 0, count: input.count * 3 / 4 + 3)
        var written = 0
        let rc = input.withUnsafeBufferPointer { inp in
            inp.withMemoryRebound(to: CChar.self) { chars in
                sodium_base642bin(&out, out.count, chars.baseAddress, input.count, nil, &written, nil, variant)
            }
        }
        guard rc == 0 else { return nil }
        return Array(out[..<written])
    }
}
