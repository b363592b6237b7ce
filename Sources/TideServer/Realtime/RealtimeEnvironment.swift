import Foundation
import Logging
import TideGraphQL
import TideStore

/// What every realtime connection shares: the engine and store, the hub, credential checks,
/// limits and metrics.
struct RealtimeEnvironment: Sendable {
    let engine: GraphQLEngine
    let store: any RecordStore
    let hub: FeedHub
    let authenticate: Authenticate
    let configuration: RealtimeConfiguration
    let connections: CallerConnections
    /// The `/graphql` rate limit, also taken by queries and mutations sent over a socket.
    let limiter: RateLimiter?
    let metrics: ServerMetrics
    /// The identity service's clock, against which token expiry is checked.
    let now: @Sendable () -> Date
    let logger: Logger

    var replay: FeedReplay { FeedReplay(store: store, logger: logger) }
}
