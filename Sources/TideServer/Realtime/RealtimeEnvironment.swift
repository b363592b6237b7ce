import Foundation
import Logging
import NIOPosix
import TideGraphQL
import TideModel
import TideStore

/// What every realtime connection shares: the engine and store, the hub, credential checks,
/// limits and metrics.
struct RealtimeEnvironment: Sendable {
    let engine: GraphQLEngine
    let store: any RecordStore
    let hub: FeedHub
    let authenticate: Authenticate
    /// Where a signed-in user stands now in the identity database (removed, groups changed).
    let standing: @Sendable (UserIdentity) -> UserStanding
    let configuration: RealtimeConfiguration
    let connections: CallerConnections
    /// The `/graphql` rate limit, also taken by queries and mutations sent over a socket.
    let admission: Admission
    let metrics: ServerMetrics
    /// The identity service's clock, against which token expiry is checked.
    let now: @Sendable () -> Date
    let logger: Logger

    var replay: FeedReplay { FeedReplay(store: store, threadPool: .singleton, logger: logger) }
}
