import Logging
import ServiceLifecycle
import TideIdentity

/// Follows the identity database for the admin commands' changes, which come from another
/// process (`tidewater apikeys revoke`, `users remove`, `users remove-from-group`): a few times a
/// second it reads SQLite's `data_version` (one pragma), and when it moved it rereads the API keys
/// and has every realtime connection check again what it holds (``FeedHub/recheckCredentials()``):
/// a revoked key or a removed user ends the connection (4403), a changed group set re-authorizes
/// its subscriptions. HTTP requests carry their credentials each time and need none of this.
struct CredentialWatcher: Service {
    let identity: IdentityService
    let hub: FeedHub
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var seen = try? identity.outsideChangeVersion()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            do throws(IdentityError) {
                let version = try identity.outsideChangeVersion()
                guard version != seen else { continue }
                seen = version
                try identity.reloadKeys()
                hub.recheckCredentials()
            } catch {
                logger.error("could not check the identity database for changes", metadata: ["error": "\(error)"])
            }
        }
    }
}
