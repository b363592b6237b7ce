import Foundation
import Logging
import Synchronization
import TideSQLite

/// Endpoints, opt-outs and the delivery ledger, in their own SQLite file
/// `<data>/notifications.sqlite` beside the record store: sending never takes the record
/// store's writer, and `tidewater deliveries` works on the file while the server runs (WAL,
/// `synchronous=FULL`, a busy timeout).
///
/// A ledger row is committed before its first attempt, and an attempt is marked in flight
/// (durably) before its request goes out: after a crash, a `sent` row stays sent and an
/// in-flight one is recovered as the state machine says (unknown, or re-sent for webhooks).
///
/// ```swift
/// let store = try NotificationStore(directory: "tidewater-data")
/// let endpoint = try store.registerEndpoint(userId: "u1", channel: .email, address: "me@example.com",
///                                           platform: nil, timeZone: "Europe/Berlin", now: now)
/// try store.enqueue([DeliveryRow(id: UUID().uuidString, seq: 42, rule: "comment-on-my-post",
///                                endpointId: endpoint.id, userId: "u1", channel: .email, createdAt: now, updatedAt: now)])
/// ```
public final class NotificationStore: Sendable {
    public static let fileName = "notifications.sqlite"

    public let path: String
    private let connection: Mutex<Connection?>
    /// Ledger updates waiting for the next group commit (``commitUpdate(_:_:now:)``).
    let pendingUpdates = Mutex(PendingUpdates())

    public init(
        directory: String, busyTimeoutMilliseconds: Int32 = 5_000, logger: Logger = Logger(label: "tidewater.notifications")
    ) throws(SQLiteError) {
        path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        // Addresses are personal data: the file is the owner's alone, like identity.sqlite.
        try Connection.createFileIfNeeded(atPath: path, permissions: 0o600)
        let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        do throws(SQLiteError) {
            try connection.enableWAL()
            try connection.execute("PRAGMA synchronous = FULL;")
            try connection.transaction(.immediate) { connection throws(SQLiteError) in
                try NotificationMigrations.migrator.apply(to: connection, logger: logger)
            }
        } catch {
            connection.close()
            throw error
        }
        self.connection = Mutex(connection)
    }

    deinit { close() }

    public func close() {
        connection.withLock { connection in
            connection?.close()
            connection = nil
        }
    }

    func read<T>(_ body: (Connection) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try connection.withLock { connection throws(SQLiteError) -> T in
            guard let connection else { throw .closed }
            return try body(connection)
        }
    }

    func write<T>(_ body: (Connection) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try read { connection throws(SQLiteError) in try connection.transaction(.immediate, body) }
    }
}

/// Updates submitted to ``NotificationStore/commitUpdate(_:_:now:)`` and not yet committed.
struct PendingUpdates {
    struct Update {
        let id: String
        let progress: DeliveryProgress
        let now: Int64
        let committed: CheckedContinuation<Result<Void, SQLiteError>, Never>
    }

    var updates: [Update] = []
    /// A task is committing; it takes what arrives meanwhile in its next transaction.
    var flushing = false
}
