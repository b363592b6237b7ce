import Logging
import Synchronization

/// Read-only connections for concurrent reads beside the writer (WAL).
///
/// A read borrows an idle connection, runs synchronously on the caller's thread and gives it
/// back. Connections are opened lazily; when all are busy an extra one is opened rather than
/// blocking the caller, and closed again when returned if the pool is already full.
final class ReaderPool: Sendable {
    private struct State {
        var idle: [Connection] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let path: String
    private let capacity: Int
    private let busyTimeoutMilliseconds: Int32
    private let logger: Logger

    init(path: String, capacity: Int, busyTimeoutMilliseconds: Int32, logger: Logger) {
        self.path = path
        self.capacity = max(1, capacity)
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.logger = logger
    }

    func withReader<T>(_ body: (Connection) throws(StoreError) -> T) throws(StoreError) -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    private func checkOut() throws(StoreError) -> Connection {
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

    private func checkIn(_ connection: Connection) {
        let kept = state.withLock { state in
            guard !state.closed, state.idle.count < capacity else { return false }
            state.idle.append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// Closes idle connections; connections still borrowed are closed when given back.
    func closeAll() {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in idle { connection.close() }
    }
}
