import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TideStore

/// The one reader of the change feed for realtime: woken after each commit, it reads the new
/// entries once (decoded once) and hands the same array to every event loop that serves
/// connections, with one `execute` per loop; there ``LoopConnections`` gives it to each
/// connection, which writes straight onto its socket.
///
/// Handing over never waits, so a slow connection costs the hub nothing and the writer is never
/// involved: each connection bounds what it lets pile up (see
/// ``RealtimeConfiguration/queueCapacity``). The hub's `position` (last entry handed over)
/// moves under the same lock as registration: a connection registered at position P skips
/// entries up to P and receives every entry after P, which is what makes resume gap-free.
final class FeedHub: Service, Sendable {
    private struct Loop {
        let eventLoop: any EventLoop
        let connections: NIOLoopBound<LoopConnections>
        /// How many connections the loop's set holds, readable here under the lock: the set
        /// itself may only be touched on its loop.
        var count = 0
    }

    private struct State {
        var position: Int64
        var loops: [ObjectIdentifier: Loop] = [:]
    }

    private let store: any RecordStore
    private let state: Mutex<State>
    private let batchSize: Int
    private let maxFrameBytes: Int
    private let logger: Logger

    /// `maxFrameBytes`: messages up to this size go out as one WebSocket frame.
    init(store: any RecordStore, maxFrameBytes: Int, batchSize: Int = 256, logger: Logger) {
        self.store = store
        self.state = Mutex(State(position: store.feedHead))
        self.batchSize = batchSize
        self.maxFrameBytes = maxFrameBytes
        self.logger = logger
    }

    /// Starts handing entries to `connection`; returns the position it starts after. Called on
    /// `eventLoop`, the loop of the connection's channel.
    func register(_ connection: RealtimeConnection, on eventLoop: any EventLoop) -> Int64 {
        let (position, connections) = state.withLock { state in
            let key = ObjectIdentifier(eventLoop)
            var loop =
                state.loops[key]
                ?? Loop(
                    eventLoop: eventLoop,
                    connections: NIOLoopBound(LoopConnections(maxFrameBytes: maxFrameBytes), eventLoop: eventLoop))
            loop.count += 1
            state.loops[key] = loop
            return (state.position, loop.connections)
        }
        connections.value.add(connection)
        return position
    }

    /// Called on the connection's event loop.
    func unregister(_ connection: RealtimeConnection, on eventLoop: any EventLoop) {
        let connections = state.withLock { state -> NIOLoopBound<LoopConnections>? in
            state.loops[ObjectIdentifier(eventLoop)]?.count -= 1
            return state.loops[ObjectIdentifier(eventLoop)]?.connections
        }
        connections?.value.remove(connection)
    }

    /// Has every connection check its credentials again, on its own loop (the identity database
    /// changed: ``CredentialWatcher``).
    func recheckCredentials() {
        let loops = state.withLock { state in state.loops.values.filter { $0.count > 0 } }
        for loop in loops {
            let connections = loop.connections
            loop.eventLoop.execute { connections.value.recheckCredentials() }
        }
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

    /// Hands out every entry after `position`. Only this task moves `position`; moving it and
    /// choosing the loops happen together under the lock.
    private func drain() {
        while true {
            let after = state.withLock { state -> Int64? in
                // Nobody listening: nothing to read or decode; a connection registering later
                // starts after the head (what it missed, resume replays from the store).
                guard state.loops.values.contains(where: { $0.count > 0 }) else {
                    state.position = max(state.position, store.feedHead)
                    return nil
                }
                return state.position
            }
            guard let after else { return }
            let entries: [FeedEntry]
            do {
                entries = try store.feed(after: after, limit: batchSize)
            } catch {
                // Retried at the next commit; the connections keep their place.
                logger.error("realtime: cannot read the change feed", metadata: ["error": "\(error)"])
                return
            }
            guard let last = entries.last else { return }
            let loops = state.withLock { state in
                state.position = last.seq
                return state.loops.values.filter { $0.count > 0 }
            }
            for loop in loops {
                let connections = loop.connections
                loop.eventLoop.execute { connections.value.dispatch(entries) }
            }
            if entries.count < batchSize { return }
        }
    }
}

/// The realtime connections of one event loop, used only on that loop.
final class LoopConnections {
    private var connections: [ObjectIdentifier: RealtimeConnection] = [:]
    private let maxFrameBytes: Int

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    func add(_ connection: RealtimeConnection) {
        connections[ObjectIdentifier(connection)] = connection
    }

    func remove(_ connection: RealtimeConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
    }

    /// Each connection checks its credentials; a user's standing is looked up once per pass.
    func recheckCredentials() {
        var standings: [String: UserStanding] = [:]
        for connection in connections.values {
            connection.recheckCredentials(standings: &standings)
        }
    }

    /// Every connection gets the batch; subscribers with the same subscription and rights share
    /// one rendered message (see ``EventMessages``).
    func dispatch(_ entries: [FeedEntry]) {
        var messages = EventMessages(maxFrameBytes: maxFrameBytes)
        for connection in connections.values {
            connection.dispatch(entries, messages: &messages)
        }
    }
}
