/// How hard a commit waits for the disk.
public enum Durability: String, Sendable {
    /// `PRAGMA synchronous = FULL`: a write is acknowledged only after the WAL is fsynced.
    case full
    /// `PRAGMA synchronous = NORMAL`: survives a process crash; the last commits may be lost on power loss.
    case normal
}

/// Where the store keeps its data and how it runs.
public struct StoreConfiguration: Sendable {
    /// The data folder; the database is `<directory>/tidewater.sqlite`. Created if missing.
    public var directory: String
    public var durability: Durability = .full
    /// Read-only connections kept open for concurrent reads.
    public var readerCount: Int = 4
    /// The most writes grouped into one transaction (group commit).
    public var maxBatchSize: Int = 512
    /// How long tombstones are kept for delta sync before `purge` removes them.
    public var tombstoneRetentionSeconds: Int64 = 30 * 86_400
    /// How long change-feed entries are kept (never past the lowest consumer checkpoint).
    public var feedRetentionSeconds: Int64 = 86_400
    /// How long a connection waits for a lock held by another process.
    public var busyTimeoutMilliseconds: Int32 = 5_000

    public init(directory: String, durability: Durability = .full) {
        self.directory = directory
        self.durability = durability
    }

    /// The database file inside `directory`.
    public var databasePath: String {
        directory.hasSuffix("/") ? directory + "tidewater.sqlite" : directory + "/tidewater.sqlite"
    }
}
