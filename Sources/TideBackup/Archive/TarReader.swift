import Foundation

/// Reads a ustar archive entry by entry, writing each file's content where the caller says.
final class TarReader {
    private let input: FileHandle
    private static let chunkSize = 1 << 20

    init(path: String) throws {
        guard let input = FileHandle(forReadingAtPath: path) else { throw BackupError.io("cannot read \(path)") }
        self.input = input
    }

    deinit { try? input.close() }

    /// The next entry's header, or nil at the end of the archive.
    func next() throws -> TarHeader? {
        let block = try read(exactly: TarHeader.blockSize, what: "header")
        return try TarHeader.decode(block)
    }

    /// Copies the current entry's content to a new file at `destination`; returns its SHA-256.
    func extract(_ header: TarHeader, to destination: String) throws -> String {
        guard FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: header.mode & 0o777]),
            let output = FileHandle(forWritingAtPath: destination)
        else { throw BackupError.io("cannot create \(destination)") }
        defer { try? output.close() }
        var hash = SHA256()
        var remaining = header.size
        while remaining > 0 {
            let chunk = try read(exactly: Int(min(Int64(Self.chunkSize), remaining)), what: header.path)
            chunk.withUnsafeBytes { hash.update($0) }
            try output.write(contentsOf: chunk)
            remaining -= Int64(chunk.count)
        }
        try output.synchronize()
        _ = try read(exactly: TarHeader.padding(after: header.size), what: header.path)
        return hash.hexDigest()
    }

    /// The current entry's content in memory (for the manifest; bounded by `limit`).
    func content(_ header: TarHeader, limit: Int) throws -> [UInt8] {
        guard header.size <= Int64(limit) else { throw BackupError.invalidArchive("\(header.path) is too large") }
        let bytes = try read(exactly: Int(header.size), what: header.path)
        _ = try read(exactly: TarHeader.padding(after: header.size), what: header.path)
        return bytes
    }

    private func read(exactly count: Int, what: String) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            guard let chunk = try input.read(upToCount: count - bytes.count), !chunk.isEmpty else {
                throw BackupError.invalidArchive("truncated in \(what)")
            }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }
}
