import Foundation

/// `MANIFEST.json`, the last entry of a backup archive: what was backed up, when, and a
/// SHA-256 of every file, so a restore notices a damaged or truncated archive (and an operator
/// can check a file by hand with `sha256sum` after `tar -x`).
public struct BackupManifest: Codable, Sendable, Equatable {
    /// One file of the data folder.
    public struct File: Codable, Sendable, Equatable {
        /// The path inside the data folder, `/`-separated (`tidewater.sqlite`, `keys/page-token.key`).
        public var path: String
        /// `database` (a consistent SQLite copy) or `file` (copied as is).
        public var kind: Kind
        public var size: Int64
        public var sha256: String
        /// For a database: epoch ms at which its copy was taken (each database is one point in time).
        public var takenAt: Int64?
    }

    public enum Kind: String, Codable, Sendable {
        case database, file
    }

    /// The archive layout; a restore refuses a format it does not know.
    public var format: Int
    /// Epoch ms at which the record store's copy (records and feed) was taken: the backup point.
    public var takenAt: Int64
    public var files: [File]

    public static let fileName = "MANIFEST.json"
    public static let currentFormat = 1
}
