import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TideTestSupport

/// A plain TCP connection to the server for HTTP/1.1 framing that HTTP client libraries hide:
/// pipelined requests, `Connection: close`, unparsable requests. Writes raw bytes and reads
/// everything the server sends until it closes the connection or the deadline passes.
struct RawHTTPConnection {
    private let channel: any Channel
    private let received: Collector

    /// Connects; `first` is written by the event loop the moment the connection is up, so its
    /// timing does not depend on when the calling task is next scheduled (a busy test run can
    /// leave it waiting for seconds, longer than a short idle timeout).
    static func connect(_ server: ServerProcess, sending first: String = "") async throws -> RawHTTPConnection {
        let collector = Collector(first: first)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: server.baseURL.host!, port: server.baseURL.port!).get()
        return RawHTTPConnection(channel: channel, received: collector)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get(within: .seconds(20), "sending \(text.utf8.count) bytes")
    }

    /// What arrived until the server closed the connection (`closed`), or until `timeout`.
    func receiveUntilClosed(timeout: Duration = .seconds(5)) async throws -> (text: String, closed: Bool) {
        let deadline = ContinuousClock.now + timeout
        while !received.isClosed, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (received.text, received.isClosed)
    }

    /// Waits until `count` complete responses with `Content-Length` bodies have arrived.
    func receiveResponses(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let responses = Self.split(received.text)
            if responses.count >= count { return responses }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Self.split(received.text)
    }

    func close() async {
        try? await channel.close()
    }

    /// Complete responses in `text`, each head and body.
    private static func split(_ text: String) -> [String] {
        let bytes = Array(text.utf8)
        let separator = Array("\r\n\r\n".utf8)
        var responses: [String] = []
        var start = 0
        while let headEnd = (start..<max(start, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) {
            let head = String(decoding: bytes[start..<headEnd], as: UTF8.self)
            let length = head.split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let end = headEnd + 4 + length
            guard end <= bytes.count else { break }
            responses.append(String(decoding: bytes[start..<end], as: UTF8.self))
            start = end
        }
        return responses
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let first: String
        private let state = Mutex((text: "", closed: false))

        init(first: String) {
            self.first = first
        }

        var text: String { state.withLock { $0.text } }
        var isClosed: Bool { state.withLock { $0.closed } }

        func channelActive(context: ChannelHandlerContext) {
            if !first.isEmpty { context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: first)), promise: nil) }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            state.withLock { $0.text += String(buffer: buffer) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLock { $0.closed = true }
        }
    }
}
