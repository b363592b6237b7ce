import Foundation
import Logging
import Synchronization
import TideSQLite

/// Users, groups, refresh-token sessions, API keys and access-token signing keys, in their own
/// SQLite file `<data>/identity.sqlite` beside the record store.
///
/// Plain persistence: no hashing, token or password policy lives here (that is `TideIdentity`'s
/// job); secrets arrive already hashed or encoded. A separate file keeps identity writes (one per
/// login) out of the record store's group-commit writer and its change feed, and lets the admin
/// CLI write while the server runs: WAL, `synchronous=FULL`, a busy timeout for the other
/// process's locks. The file is created with mode 0600 (SQLite gives its `-wal`/`-shm` files the
/// same mode) because it holds the signing keys' secrets.
///
/// One connection behind a mutex: identity writes are rare (logins, refreshes, admin commands)
/// and the request hot path reads in-memory snapshots, not this store.
///
/// ```swift
/// let store = try IdentityStore(directory: "tidewater-data")
/// let created = try store.createUser(IdentityUser(id: id, username: "alice", passwordHash: hash, createdAt: .now))
/// if try store.dataVersion() != lastSeen { reloadKeys() }   // the CLI changed something
/// ```
public final class IdentityStore: Sendable {
    /// The database file's name inside the data folder.
    public static let fileName = "identity.sqlite"

    /// The database file.
    public let path: String
    private let connection: Mutex<Connection?>
    let logger: Logger

    /// Opens (creating and migrating if needed) `<directory>/identity.sqlite`.
    ///
    /// - Parameter busyTimeoutMilliseconds: how long a statement waits for a lock held by another
    ///   process (the admin CLI or the server) before failing.
    public init(
        directory: String, busyTimeoutMilliseconds: Int32 = 5_000, logger: Logger = Logger(label: "tidewater.identity")
    ) throws(SQLiteError) {
        self.logger = logger
        path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        // Created here with 0600, before any secret is written to it.
        try Connection.createFileIfNeeded(atPath: path, permissions: 0o600)
        let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        do throws(SQLiteError) {
            try connection.enableWAL()
            try connection.execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            try connection.transaction(.immediate) { connection throws(SQLiteError) in
                try IdentityMigrations.migrator.apply(to: connection, logger: logger)
            }
        } catch {
            connection.close()
            throw error
        }
        self.connection = Mutex(connection)
    }

    deinit { close() }

    /// Closes the connection; idempotent. Afterwards every call throws `SQLiteError.closed`.
    public func close() {
        connection.withLock { connection in
            connection?.close()
            connection = nil
        }
    }

    /// SQLite's `PRAGMA data_version` for this connection: it changes when another connection (the
    /// admin CLI in another process) commits to the file, and not for this store's own writes.
    /// Costs one pragma; compare with the last value seen to know whether to reload.
    public func dataVersion() throws(SQLiteError) -> Int64 {
        try read { connection throws(SQLiteError) in try connection.queryFirst("PRAGMA data_version") { $0.int64(0) } ?? 0 }
    }

    /// Runs `body` on the connection, outside any explicit transaction (one statement, or reads
    /// that need no consistent snapshot).
    func read<T>(_ body: (Connection) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try connection.withLock { connection throws(SQLiteError) -> T in
            guard let connection else { throw .closed }
            return try body(connection)
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction (taking the write lock up front, so the
    /// read-then-write steps inside cannot be interleaved by another process).
    func write<T>(_ body: (Connection) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try read { connection throws(SQLiteError) in try connection.transaction(.immediate, body) }
    }
}
