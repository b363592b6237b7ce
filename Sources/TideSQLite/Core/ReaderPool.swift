import Logging
import Synchronization

/// Read-only connections for concurrent reads beside the writer (WAL).
///
/// A read borrows an idle connection, runs synchronously on the caller's thread and gives it
/// back. Connections are opened lazily; when all are busy an extra one is opened rather than
/// blocking the caller, and closed again when returned if the pool is already full. Each
/// connection keeps its statement cache, so a repeated read prepares nothing.
///
/// ```swift
/// let readers = ReaderPool(path: path, capacity: 8, busyTimeoutMilliseconds: 5_000, logger: logger)
/// let count = try readers.withReader { connection throws(SQLiteError) in
///     try connection.queryFirst("SELECT count(*) FROM \"deliveries\"") { $0.int64(0) } ?? 0
/// }
/// ```
public final class ReaderPool: Sendable {
    private struct State {
        var idle: [Connection] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let path: String
    private let capacity: Int
    private let busyTimeoutMilliseconds: Int32
    private let logger: Logger

    /// - Parameter capacity: how many idle connections are kept (at least one).
    public init(path: String, capacity: Int, busyTimeoutMilliseconds: Int32, logger: Logger) {
        self.path = path
        self.capacity = max(1, capacity)
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.logger = logger
    }

    /// Runs `body` on a borrowed read connection. Throws ``SQLiteError/closed`` (as `Failure`)
    /// once ``closeAll()`` has run. `body` must not keep the connection or a statement of it.
    @inlinable
    public func withReader<T, Failure: SQLiteErrorWrapping>(_ body: (Connection) throws(Failure) -> T) throws(Failure) -> T {
        let connection: Connection
        do throws(SQLiteError) {
            connection = try checkOut()
        } catch {
            throw Failure(error)
        }
        defer { checkIn(connection) }
        return try body(connection)
    }

    @usableFromInline
    func checkOut() throws(SQLiteError) -> Connection {
        let taken: Connection?? = state.withLock { state in
            if state.closed { return .none }
            return .some(state.idle.popLast())
        }
        switch taken {
        case .none: throw .closed
        case .some(.some(let connection)): return connection
        case .some(.none):
            logger.trace("opening a read connection")
            return try Connection(path: path, readOnly: true, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        }
    }

    @usableFromInline
    func checkIn(_ connection: Connection) {
        let kept = state.withLock { state in
            guard !state.closed, state.idle.count < capacity else { return false }
            state.idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// Closes idle connections; connections still borrowed are closed when given back.
    public func closeAll() {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { connection.close() }
    }
}
