import HTTPTypes
import NIOCore
import TideModel

/// An endpoint that ``HTTPExchangeHandler`` serves on the connection's event loop instead of
/// through the router: the hot paths, whose work is mostly synchronous.
protocol DirectEndpoint: Sendable {
    /// Runs on the event loop, so it must not block: anything that waits goes in `.later`.
    /// `principal` is who ``Admission`` let the request in for.
    func respond(to request: HTTPRequest, body: ByteBuffer, principal: Principal) -> EndpointReply
}

enum EndpointReply: Sendable {
    case now(HTTPReply)
    /// Finished in a task; the reply is written on the event loop when it is ready.
    case later(@Sendable () async -> HTTPReply)
}

/// A complete response, its body in memory.
struct HTTPReply: Sendable {
    var head: HTTPResponse
    var body: ByteBuffer

    init(status: HTTPResponse.Status, headers: HTTPFields, body: [UInt8]) {
        head = HTTPResponse(status: status, headerFields: headers)
        self.body = ByteBuffer(bytes: body)
    }

    init(head: HTTPResponse, body: ByteBuffer) {
        self.head = head
        self.body = body
    }
}
