import Logging
import ServiceLifecycle
import Synchronization

/// The HTTP server as a service whose graceful stop has a deadline.
///
/// On graceful shutdown (SIGTERM, SIGINT) the server stops accepting, every idle HTTP
/// connection closes, a request in flight is answered and its connection closed, and every
/// WebSocket is sent its close frame (1001). This service returns once every connection has
/// closed, so the services stopped after it (the feed hub, the consumers, then the store) never
/// go away under a connection still being served. A connection still open `timeout` after the
/// signal — a client that stopped sending half-way through a request, a socket that never
/// answers the close frame — is closed then.
struct BoundedShutdown<Server: Service>: Service {
    let server: Server
    let connections: OpenConnections
    let timeout: Duration
    let logger: Logger

    func run() async throws {
        let deadline = Mutex<Task<Void, Never>?>(nil)
        defer { deadline.withLock { $0?.cancel() } }
        try await withGracefulShutdownHandler {
            try await server.run()
            await connections.waitUntilAllClosed()
        } onGracefulShutdown: { [connections, timeout, logger] in
            let task = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                let open = connections.count
                guard open > 0 else { return }
                logger.notice(
                    "shutdown timeout reached: closing the connections still open",
                    metadata: ["connections": "\(open)", "timeout": "\(timeout)"])
                connections.closeAll()
            }
            deadline.withLock { $0 = task }
        }
    }
}
