import Logging
import ServiceLifecycle
import Synchronization
import TideStore

/// The one reader of the change feed for realtime: woken after each commit, it reads the new
/// entries once (decoded once) and hands the same array to every registered connection's inbox.
///
/// Handing over never waits (see ``ConnectionInbox/deliver(_:)``), so a slow connection costs
/// the hub nothing and the writer is never involved. The hub's `position` (last entry handed
/// over) moves under the same lock as registration: a connection registered at position P
/// receives exactly the entries after P, which is what makes resume gap-free.
final class FeedHub: Service, Sendable {
    private struct State {
        var position: Int64
        var inboxes: [ObjectIdentifier: ConnectionInbox] = [:]
    }

    private let store: any RecordStore
    private let state: Mutex<State>
    private let batchSize: Int
    private let logger: Logger

    init(store: any RecordStore, batchSize: Int = 256, logger: Logger) {
        self.store = store
        self.state = Mutex(State(position: store.feedHead))
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Starts handing entries to `inbox`; returns the position it starts after.
    func register(_ inbox: ConnectionInbox) -> Int64 {
        state.withLock { state in
            state.inboxes[ObjectIdentifier(inbox)] = inbox
            return state.position
        }
    }

    func unregister(_ inbox: ConnectionInbox) {
        _ = state.withLock { $0.inboxes.removeValue(forKey: ObjectIdentifier(inbox)) }
    }

    /// Tails the feed until graceful shutdown.
    func run() async throws {
        // Observe before the first read, so a commit between the two still wakes us.
        let commits = store.commits()
        drain()
        for await _ in commits.cancelOnGracefulShutdown() {
            drain()
        }
    }

    /// Hands out every entry after `position`. Only this task moves `position`, so reading it
    /// outside the lock is safe; handing out and moving it happen together under the lock.
    private func drain() {
        while true {
            let after = state.withLock { $0.position }
            let entries: [FeedEntry]
            do {
                entries = try store.feed(after: after, limit: batchSize)
            } catch {
                // Retried at the next commit; the connections keep their place.
                logger.error("realtime: cannot read the change feed", metadata: ["error": "\(error)"])
                return
            }
            guard let last = entries.last else { return }
            state.withLock { state in
                for (key, inbox) in state.inboxes where !inbox.deliver(entries) {
                    state.inboxes.removeValue(forKey: key)
                }
                state.position = last.seq
            }
            if entries.count < batchSize { return }
        }
    }
}
