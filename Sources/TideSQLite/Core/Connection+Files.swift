import CSQLite
import Foundation

extension Connection {
    /// Makes sure a database file can be opened at `path`: creates its folder, and with
    /// `permissions` the empty file itself when it does not exist yet, so that a database holding
    /// secrets is never readable by others, not even before its first write (SQLite gives the
    /// `-wal` and `-shm` files the database file's mode). Throws `SQLITE_CANTOPEN`.
    ///
    /// ```swift
    /// let path = directory + "/identity.sqlite"
    /// try Connection.createFileIfNeeded(atPath: path, permissions: 0o600)
    /// let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: 5_000)
    /// ```
    public static func createFileIfNeeded(atPath path: String, permissions: Int? = nil) throws(SQLiteError) {
        let fileManager = FileManager.default
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .sqlite(code: SQLITE_CANTOPEN, message: "cannot create \(folder): \(error)")
        }
        guard let permissions, !fileManager.fileExists(atPath: path) else { return }
        guard fileManager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: permissions]) else {
            throw .sqlite(code: SQLITE_CANTOPEN, message: "cannot create \(path)")
        }
    }
}
