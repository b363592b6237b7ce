import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The context of WebSocket upgrade requests on `/graphql`: the channel (closed by force when a
/// slow client stops reading) and the peer address (the connection limit of anonymous callers).
struct RealtimeRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
        remoteAddress = source.channel.remoteAddress
    }
}
