import Foundation
import TideSQLite
import TideStore

/// `tidewater restore`: a backup archive into a new or empty data folder.
///
/// Everything is unpacked into a staging folder beside the target and checked there first:
/// every file against the manifest's size and SHA-256, nothing unlisted, every database with
/// `PRAGMA integrity_check`. The record store is then marked restored (``RestorePoint``:
/// clients that synced or subscribed before the restore start over instead of silently
/// missing data), and the staging folder is renamed into place, so the target is either
/// untouched or complete.
///
/// ```swift
/// let summary = try DataFolderRestore.restore(archivePath: "/backups/tw.tar", dataDirectory: "data-restored")
/// print(summary.manifest.takenAt, summary.restorePoint?.backupFeedHead ?? 0)
/// ```
public enum DataFolderRestore {
    public struct Summary: Sendable {
        public var manifest: BackupManifest
        public var restorePoint: RestorePoint?
    }

    public static func restore(archivePath: String, dataDirectory: String) throws -> Summary {
        let target = URL(fileURLWithPath: dataDirectory).standardizedFileURL
        if DataFolderLock.isHeld(directory: target.path) { throw BackupError.folderInUse(dataDirectory) }
        try checkEmpty(target, named: dataDirectory)
        guard FileManager.default.fileExists(atPath: archivePath) else { throw BackupError.io("\(archivePath) does not exist") }

        let staging = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).restoring-\(getpid())")
        try? FileManager.default.removeItem(at: staging)
        try DataFolderBackup.createDirectory(staging)
        var placed = false
        defer { if !placed { try? FileManager.default.removeItem(at: staging) } }

        let (manifest, hashes) = try unpack(archivePath, into: staging)
        try verify(manifest, hashes: hashes)
        for file in manifest.files where file.kind == .database {
            let problems: [String]
            do {
                let connection = try Connection(
                    path: staging.appendingPathComponent(file.path).path, readOnly: true, busyTimeoutMilliseconds: 5_000)
                defer { connection.close() }
                problems = try connection.integrityProblems()
            } catch {
                throw BackupError.integrity(file: file.path, problems: ["\(error)"])
            }
            guard problems.isEmpty else { throw BackupError.integrity(file: file.path, problems: problems) }
        }
        var restorePoint: RestorePoint?
        if manifest.files.contains(where: { $0.path == DataFolderBackup.recordStoreFile }) {
            do {
                restorePoint = try Store.markRestored(
                    databasePath: staging.appendingPathComponent(DataFolderBackup.recordStoreFile).path,
                    backupTakenAt: manifest.takenAt)
            } catch {
                throw BackupError.io("cannot mark \(DataFolderBackup.recordStoreFile) as restored: \(error)")
            }
        }

        // The target was checked empty above; a server starting there meanwhile would hold its lock.
        if DataFolderLock.isHeld(directory: target.path) { throw BackupError.folderInUse(dataDirectory) }
        try checkEmpty(target, named: dataDirectory)
        if FileManager.default.fileExists(atPath: target.path) {
            guard rmdir(target.path) == 0 || errno == ENOENT else {
                throw BackupError.io("cannot replace \(target.path): \(String(cString: strerror(errno)))")
            }
        }
        guard rename(staging.path, target.path) == 0 else {
            throw BackupError.io("cannot move the restored data to \(target.path): \(String(cString: strerror(errno)))")
        }
        placed = true
        syncDirectory(target.deletingLastPathComponent().path)
        return Summary(manifest: manifest, restorePoint: restorePoint)
    }

    /// Unpacks every entry but the manifest into `staging`; returns the manifest and each
    /// file's SHA-256 as read.
    private static func unpack(_ archivePath: String, into staging: URL) throws -> (BackupManifest, [String: (Int64, String)]) {
        let reader = try TarReader(path: archivePath)
        var manifest: BackupManifest?
        var hashes: [String: (Int64, String)] = [:]
        while let header = try reader.next() {
            let components = header.path.split(separator: "/", omittingEmptySubsequences: false)
            guard !header.path.hasPrefix("/"), !components.contains(where: { $0 == ".." || $0 == "." || $0.isEmpty }),
                hashes[header.path] == nil
            else { throw BackupError.invalidArchive("unexpected entry \(header.path)") }
            if header.path == BackupManifest.fileName {
                do {
                    manifest = try JSONDecoder().decode(BackupManifest.self, from: Data(try reader.content(header, limit: 16 << 20)))
                } catch let error as BackupError {
                    throw error
                } catch {
                    throw BackupError.invalidArchive("unreadable \(BackupManifest.fileName)")
                }
                continue
            }
            let destination = staging.appendingPathComponent(header.path)
            try DataFolderBackup.createDirectory(destination.deletingLastPathComponent())
            hashes[header.path] = (header.size, try reader.extract(header, to: destination.path))
        }
        guard let manifest else { throw BackupError.invalidArchive("no \(BackupManifest.fileName) (truncated?)") }
        return (manifest, hashes)
    }

    private static func verify(_ manifest: BackupManifest, hashes: [String: (Int64, String)]) throws {
        guard manifest.format == BackupManifest.currentFormat else {
            throw BackupError.invalidArchive("format \(manifest.format) is not known to this build (\(BackupManifest.currentFormat))")
        }
        guard Set(manifest.files.map(\.path)) == Set(hashes.keys) else {
            throw BackupError.invalidArchive("its files do not match \(BackupManifest.fileName)")
        }
        for file in manifest.files {
            guard let (size, sha256) = hashes[file.path], size == file.size, sha256 == file.sha256 else {
                throw BackupError.invalidArchive("\(file.path) is damaged (size or SHA-256 differs from the manifest)")
            }
        }
    }

    /// Throws unless `url` is missing or an empty folder.
    private static func checkEmpty(_ url: URL, named: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw BackupError.folderNotEmpty(named) }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        guard contents.isEmpty else { throw BackupError.folderNotEmpty(named) }
    }

    /// Makes the rename durable.
    private static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
