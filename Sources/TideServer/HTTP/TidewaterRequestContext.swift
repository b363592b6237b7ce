import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core context plus the peer address.
public struct TidewaterRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Who a request comes from, for rate limits and the connection limit of anonymous callers.
enum ClientAddress {
    /// The peer, or with `trustProxy` the last `X-Forwarded-For` entry (the one the proxy in
    /// front of us appended; earlier entries are client-supplied).
    static func resolve(peer: SocketAddress?, forwardedFor: [String], trustProxy: Bool) -> String {
        resolve(peerAddress: address(of: peer), forwardedFor: forwardedFor, trustProxy: trustProxy)
    }

    /// The same, with the peer's address already formatted (once per connection).
    static func resolve(peerAddress: String, forwardedFor: [String], trustProxy: Bool) -> String {
        if trustProxy, let forwarded = forwardedFor.last {
            let last = forwarded.split(separator: ",").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if !last.isEmpty { return last }
        }
        return peerAddress
    }

    static func address(of peer: SocketAddress?) -> String {
        peer?.ipAddress ?? "unknown"
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xAPIKey = Self("x-api-key")!
}
