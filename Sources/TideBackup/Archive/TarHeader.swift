/// One POSIX ustar header block (512 bytes) for a regular file: the parts a backup uses.
///
/// Sizes up to 8 GiB are octal as POSIX has them; larger ones use the base-256 form GNU tar
/// and libarchive write and read, so any size round-trips and `tar -xf` extracts the archive.
struct TarHeader: Equatable {
    static let blockSize = 512
    var path: String
    var mode: Int
    var size: Int64
    var modified: Int64

    /// Paths must fit the ustar name field (100 bytes) or prefix + name (155 + 100).
    func encoded() throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        let bytes = Array(path.utf8)
        var name = bytes[...]
        var prefix: ArraySlice<UInt8> = []
        if bytes.count > 100 {
            guard let split = bytes.indices.last(where: { bytes[$0] == UInt8(ascii: "/") && $0 <= 155 && bytes.count - $0 - 1 <= 100 })
            else { throw BackupError.io("path too long for the archive: \(path)") }
            prefix = bytes[..<split]
            name = bytes[(split + 1)...]
        }
        block.replaceSubrange(0..<name.count, with: name)
        Self.octal(Int64(mode), into: &block, at: 100, width: 8)
        Self.octal(0, into: &block, at: 108, width: 8)
        Self.octal(0, into: &block, at: 116, width: 8)
        if size < 0o77777777777 {
            Self.octal(size, into: &block, at: 124, width: 12)
        } else {
            block[124] = 0x80
            for index in 0..<8 { block[135 - index] = UInt8(truncatingIfNeeded: size >> (8 * index)) }
        }
        Self.octal(modified, into: &block, at: 136, width: 12)
        block[156] = UInt8(ascii: "0")
        block.replaceSubrange(257..<265, with: Array("ustar\u{0}00".utf8))
        block.replaceSubrange(345..<(345 + prefix.count), with: prefix)
        block.replaceSubrange(148..<156, with: [UInt8](repeating: UInt8(ascii: " "), count: 8))
        Self.octal(Int64(block.reduce(0) { $0 + Int($1) }), into: &block, at: 148, width: 7)
        return block
    }

    /// Reads a header block; nil for an end-of-archive (all-zero) block.
    static func decode(_ block: [UInt8]) throws -> TarHeader? {
        guard block.count == blockSize else { throw BackupError.invalidArchive("truncated header") }
        if block.allSatisfy({ $0 == 0 }) { return nil }
        var unsigned = block
        unsigned.replaceSubrange(148..<156, with: [UInt8](repeating: UInt8(ascii: " "), count: 8))
        guard let stored = octal(block, 148, 8), stored == Int64(unsigned.reduce(0) { $0 + Int($1) }) else {
            throw BackupError.invalidArchive("header checksum mismatch")
        }
        guard block[156] == UInt8(ascii: "0") || block[156] == 0 else {
            throw BackupError.invalidArchive("unexpected entry type \(block[156]) (only regular files are written)")
        }
        let size: Int64
        if block[124] == 0x80 {
            size = block[128..<136].reduce(Int64(0)) { ($0 << 8) | Int64($1) }
        } else {
            guard let octalSize = octal(block, 124, 12) else { throw BackupError.invalidArchive("bad size field") }
            size = octalSize
        }
        let name = string(block[0..<100])
        let prefix = string(block[345..<500])
        return TarHeader(
            path: prefix.isEmpty ? name : prefix + "/" + name, mode: Int(octal(block, 100, 8) ?? 0o600), size: size,
            modified: octal(block, 136, 12) ?? 0)
    }

    /// Padding after `size` bytes of content up to the next block.
    static func padding(after size: Int64) -> Int {
        let remainder = Int(size % Int64(blockSize))
        return remainder == 0 ? 0 : blockSize - remainder
    }

    private static func octal(_ value: Int64, into block: inout [UInt8], at offset: Int, width: Int) {
        let digits = Array(String(value, radix: 8).utf8)
        let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, width - 1 - digits.count)) + digits
        block.replaceSubrange(offset..<(offset + width - 1), with: padded.suffix(width - 1))
        block[offset + width - 1] = 0
    }

    private static func octal(_ block: [UInt8], _ offset: Int, _ width: Int) -> Int64? {
        let field = block[offset..<(offset + width)].filter { $0 != 0 && $0 != UInt8(ascii: " ") }
        guard !field.isEmpty else { return 0 }
        return Int64(String(decoding: field, as: UTF8.self), radix: 8)
    }

    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
