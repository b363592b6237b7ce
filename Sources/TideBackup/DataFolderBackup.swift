import Foundation
import TideSQLite
import TideStore

/// `tidewater backup`: a consistent copy of a data folder, taken while a server serves it,
/// written as one tar archive (`docs/OPERATIONS.md`).
///
/// Every SQLite database of the folder (found by its file header, so databases added later,
/// such as a search index or a notification ledger, are included without a list to keep up)
/// is copied with the online backup API, each as one point in time; every other file (the
/// `keys/` folder) is copied as is. WAL, shared-memory and journal files and the server's lock
/// are left out: each copy is a self-contained database.
///
/// The record store (`tidewater.sqlite`: records, feed, consumer checkpoints) is copied first.
/// Records and feed share its one copy, so they are consistent with each other; a database
/// copied after it (identity, a derived index) is a later point, so a feed consumer restored
/// with it has indexed at least up to its restored checkpoint and re-applies, never skips.
///
/// ```swift
/// let summary = try DataFolderBackup.create(dataDirectory: "data", archivePath: "/backups/tw.tar")
/// print(summary.manifest.files.map(\.path), summary.archiveSize)
/// ```
public enum DataFolderBackup {
    /// What a backup wrote.
    public struct Summary: Sendable {
        public var manifest: BackupManifest
        public var archiveSize: Int64
    }

    /// The record store's file, copied first; its copy's time is the backup point.
    static let recordStoreFile = "tidewater.sqlite"

    /// Writes the backup to `archivePath` (through a temporary file renamed into place, so a
    /// failed backup never leaves a partial archive under that name).
    public static func create(dataDirectory: String, archivePath: String) throws -> Summary {
        let root = URL(fileURLWithPath: dataDirectory).standardizedFileURL
        let files = try DataFolderFiles.list(root)
        guard files.contains(where: { $0.relativePath == recordStoreFile && $0.isDatabase }) else {
            throw BackupError.noData(dataDirectory)
        }
        let archive = URL(fileURLWithPath: archivePath).standardizedFileURL
        let staging = archive.deletingLastPathComponent().appendingPathComponent(".\(archive.lastPathComponent).staging-\(getpid())")
        let partial = archive.deletingLastPathComponent().appendingPathComponent(".\(archive.lastPathComponent).partial-\(getpid())")
        try createDirectory(staging)
        defer {
            try? FileManager.default.removeItem(at: staging)
            try? FileManager.default.removeItem(at: partial)
        }

        let writer = try TarWriter(path: partial.path)
        var entries: [BackupManifest.File] = []
        var backupPoint: Int64 = 0
        for file in files {
            let source = root.appendingPathComponent(file.relativePath).path
            if file.isDatabase {
                let copy = staging.appendingPathComponent(UUID().uuidString).path
                let takenAt = try snapshot(database: source, into: copy)
                if file.relativePath == recordStoreFile { backupPoint = takenAt }
                let (size, sha256) = try writer.append(file: copy, as: file.relativePath, mode: file.mode)
                try? FileManager.default.removeItem(atPath: copy)
                entries.append(.init(path: file.relativePath, kind: .database, size: size, sha256: sha256, takenAt: takenAt))
            } else {
                let (size, sha256) = try writer.append(file: source, as: file.relativePath, mode: file.mode)
                entries.append(.init(path: file.relativePath, kind: .file, size: size, sha256: sha256, takenAt: nil))
            }
        }
        let manifest = BackupManifest(format: BackupManifest.currentFormat, takenAt: backupPoint, files: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writer.append(data: Array(try encoder.encode(manifest)), as: BackupManifest.fileName, mode: 0o600)
        try writer.finish()
        guard rename(partial.path, archive.path) == 0 else {
            throw BackupError.io("cannot write \(archive.path): \(String(cString: strerror(errno)))")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: archive.path)[.size] as? Int64) ?? nil
        return Summary(manifest: manifest, archiveSize: size ?? 0)
    }

    /// Copies one database as of one instant; returns the instant (epoch ms, taken as the
    /// copy's read transaction begins).
    private static func snapshot(database source: String, into copy: String) throws -> Int64 {
        do {
            let connection = try Connection(path: source, readOnly: false, busyTimeoutMilliseconds: 5_000)
            defer { connection.close() }
            let takenAt = StoredTime.milliseconds(Date())
            try connection.backup(into: copy)
            return takenAt
        } catch {
            throw BackupError.io("cannot copy \(source): \(error)")
        }
    }

    static func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw BackupError.io("cannot create \(url.path): \(error.localizedDescription)")
        }
    }
}

/// The files of a data folder that a backup holds.
struct DataFolderFiles {
    var relativePath: String
    var isDatabase: Bool
    var mode: Int

    /// Every regular file under `root`, the record store first, then by path; without SQLite's
    /// side files (`-wal`, `-shm`, `-journal`) and the server's lock.
    static func list(_ root: URL) throws -> [DataFolderFiles] {
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw BackupError.noData(root.path)
        }
        var files: [DataFolderFiles] = []
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(prefix) else { continue }
            let relative = String(path.dropFirst(prefix.count))
            let name = url.lastPathComponent
            if name == DataFolderLock.fileName || ["-wal", "-shm", "-journal"].contains(where: { name.hasSuffix($0) }) { continue }
            let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
            files.append(DataFolderFiles(relativePath: relative, isDatabase: isSQLiteDatabase(path), mode: mode ?? 0o600))
        }
        func rank(_ file: DataFolderFiles) -> Int { file.relativePath == DataFolderBackup.recordStoreFile ? 0 : 1 }
        return files.sorted { (rank($0), $0.relativePath) < (rank($1), $1.relativePath) }
    }

    /// True when the file starts with SQLite's header string.
    static func isSQLiteDatabase(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        return header == Data("SQLite format 3\u{0}".utf8)
    }
}
