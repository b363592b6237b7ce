import NIOCore
import Synchronization

/// Every connection the server has accepted and not yet closed, HTTP and WebSocket alike, so
/// that a graceful stop can wait for them all and close what is still open at its deadline.
///
/// Hummingbird's server waits only for the connection tasks it runs, and a WebSocket here is
/// served by channel handlers after its task has returned (``ServerConnectionChannel``):
/// without this list the store could close under a socket still answering its close frame.
final class OpenConnections: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Resumed once `channels` is empty.
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Tracks `channel` until it closes.
    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        state.withLock { $0.channels[key] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.channels[key] = nil
                guard state.channels.isEmpty else { return [] }
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }

    var count: Int { state.withLock { $0.channels.count } }

    /// Closes every connection still open, whatever it is doing.
    func closeAll() {
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Returns once no connection is open.
    func waitUntilAllClosed() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.channels.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
