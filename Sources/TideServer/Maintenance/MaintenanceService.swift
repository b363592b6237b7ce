import Logging
import ServiceLifecycle
import TideStore

/// Periodic store upkeep: sweeps TTL-expired records into tombstones (feed reason `ttl`) and
/// applies tombstone and feed retention. Runs beside the HTTP server and stops with it.
struct MaintenanceService: Service {
    let store: Store
    let metrics: ServerMetrics
    let interval: Double
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                var swept = 0
                repeat {
                    swept = try await store.sweepExpired()
                    if swept > 0 { logger.debug("ttl sweep", metadata: ["records": "\(swept)"]) }
                } while swept > 0 && !Task.isShuttingDownGracefully
                _ = try await store.purge()
            } catch {
                logger.error("maintenance failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown {
                try await Task.sleep(for: .seconds(interval))
            }
        }
    }
}
