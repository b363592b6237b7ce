import Foundation

/// Writes a ustar archive of regular files, hashing each file's content as it goes.
final class TarWriter {
    private let output: FileHandle
    private static let chunkSize = 1 << 20

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let output = FileHandle(forWritingAtPath: path)
        else { throw BackupError.io("cannot create \(path)") }
        self.output = output
    }

    /// Appends the file at `source` as `path`; returns its size and SHA-256.
    func append(file source: String, as path: String, mode: Int) throws -> (size: Int64, sha256: String) {
        guard let input = FileHandle(forReadingAtPath: source) else { throw BackupError.io("cannot read \(source)") }
        defer { try? input.close() }
        let size = Int64(try input.seekToEnd())
        try input.seek(toOffset: 0)
        try output.write(contentsOf: TarHeader(path: path, mode: mode, size: size, modified: Int64(Date().timeIntervalSince1970)).encoded())
        var hash = SHA256()
        var written: Int64 = 0
        while written < size, let chunk = try input.read(upToCount: Int(min(Int64(Self.chunkSize), size - written))), !chunk.isEmpty {
            chunk.withUnsafeBytes { hash.update($0) }
            try output.write(contentsOf: chunk)
            written += Int64(chunk.count)
        }
        guard written == size else { throw BackupError.io("\(source) changed size while it was archived") }
        try output.write(contentsOf: [UInt8](repeating: 0, count: TarHeader.padding(after: size)))
        return (size, hash.hexDigest())
    }

    /// Appends in-memory content as `path`.
    func append(data: [UInt8], as path: String, mode: Int) throws {
        try output.write(contentsOf: TarHeader(path: path, mode: mode, size: Int64(data.count), modified: Int64(Date().timeIntervalSince1970)).encoded())
        try output.write(contentsOf: data + [UInt8](repeating: 0, count: TarHeader.padding(after: Int64(data.count))))
    }

    /// Writes the end-of-archive blocks, flushes the file to disk and closes it.
    func finish() throws {
        try output.write(contentsOf: [UInt8](repeating: 0, count: 2 * TarHeader.blockSize))
        try output.synchronize()
        try output.close()
    }
}
