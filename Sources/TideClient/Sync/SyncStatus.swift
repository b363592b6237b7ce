/// Where the client's link to the server stands (ARCHITECTURE §9.1), as
/// ``TideClient/statusUpdates`` reports it.
public enum SyncStatus: Sendable, Hashable, CustomStringConvertible {
    /// Not connected: the app turned the link off, the server is unreachable (a reconnect is
    /// scheduled), or live sync is not started.
    case offline
    /// Opening the connection and subscribing.
    case connecting
    /// Pulling this model's changes.
    case syncing(model: String)
    /// Subscribed and caught up: changes arrive as they happen, local writes are sent as they are made.
    case live
    /// Stopped for a reason retrying will not fix (the credentials were refused): sign in again.
    case error(String)

    public var description: String {
        switch self {
        case .offline: "offline"
        case .connecting: "connecting"
        case .syncing(let model): "syncing(\(model))"
        case .live: "live"
        case .error(let reason): "error(\(reason))"
        }
    }
}

/// The live link's life as a value (no sockets, no clocks): events in, the status to report
/// and what to do next out.
///
/// ```
///  offline ──start/linkUp──► connecting ──syncing(m)──► syncing(m) ──synced──► live
///     ▲  ▲                      │                          │                   │
///     │  └── retry(after:) ◄────┴─────── disconnected ─────┴───────────────────┘
///     └── linkDown / stop (from anywhere)        fatal ──► error (stays until start)
/// ```
/// Consecutive failures grow the reconnect delay (jittered exponential); reaching `live` resets it.
struct ConnectionStateMachine: Sendable {
    enum Event: Sendable, Equatable {
        case start
        case stop
        case linkUp
        case linkDown
        case syncing(model: String)
        case synced
        /// The connection failed or closed; `renew` when the client closed it to renew its token.
        case disconnected(reason: String, renew: Bool)
        /// A failure retrying cannot fix.
        case fatal(String)
    }

    enum Action: Sendable, Equatable {
        case none
        /// Open a connection now.
        case connect
        /// Close the connection.
        case disconnect
        /// Open a connection after this many seconds (unless the link goes down meanwhile).
        case retry(after: Double)
    }

    private(set) var status: SyncStatus = .offline
    private(set) var running = false
    private(set) var linkUp = true
    private(set) var failures = 0
    let backoff: Backoff

    init(backoff: Backoff = .standard) {
        self.backoff = backoff
    }

    /// Applies an event; `random` in `0..<1` jitters a retry.
    mutating func handle(_ event: Event, random: Double = Double.random(in: 0..<1)) -> Action {
        switch event {
        case .start:
            running = true
            failures = 0
            guard linkUp else { status = .offline; return .none }
            status = .connecting
            return .connect
        case .stop:
            running = false
            status = .offline
            return .disconnect
        case .linkDown:
            linkUp = false
            guard running else { return .none }
            status = .offline
            return .disconnect
        case .linkUp:
            linkUp = true
            guard running, status == .offline || isError else { return .none }
            failures = 0
            status = .connecting
            return .connect
        case .syncing(let model):
            guard running, linkUp else { return .none }
            status = .syncing(model: model)
            return .none
        case .synced:
            guard running, linkUp else { return .none }
            status = .live
            failures = 0
            return .none
        case .disconnected(_, let renew):
            guard running, linkUp, !isError else { return .none }
            if renew {
                status = .connecting
                return .connect
            }
            failures += 1
            status = .offline
            return .retry(after: backoff.delay(attempt: failures, random: random))
        case .fatal(let reason):
            status = .error(reason)
            return .disconnect
        }
    }

    private var isError: Bool { if case .error = status { true } else { false } }
}
