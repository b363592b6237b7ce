import NIOCore
import NIOWebSocket

/// RFC 6455 underneath graphql-transport-ws, for one server-side socket: assembles the client's
/// (possibly fragmented) text messages, answers pings, and follows the closing handshake.
///
/// A value with no I/O of its own: ``RealtimeConnection`` feeds it every frame NIO decodes and
/// carries out the ``Action`` it returns.
struct WebSocketFraming {
    enum Action {
        case none
        /// A complete text message, valid UTF-8.
        case message(ByteBuffer)
        /// Answer with this frame (a `pong`).
        case reply(WebSocketFrame)
        /// The client broke the protocol: close with this code.
        case fail(CloseReason)
        /// The closing handshake is over (the client answered ours, or started one and gets
        /// `echo` back): close the TCP connection.
        case closed(echo: WebSocketFrame?)
    }

    let maxMessageBytes: Int
    /// The frames of a text message still missing its final frame.
    private var partial: ByteBuffer?
    /// Set once the server sent its close frame: from then on only the client's close matters.
    private(set) var isClosing = false

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = maxMessageBytes
    }

    mutating func receive(_ frame: WebSocketFrame) -> Action {
        // RFC 6455 §5.1: a client masks every frame; §5.2: no extension was negotiated.
        guard frame.maskKey != nil else { return .fail(CloseReason(code: 1002, reason: "Client frames must be masked")) }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else { return .fail(CloseReason(code: 1002, reason: "Reserved bits set")) }
        switch frame.opcode {
        case .connectionClose:
            if isClosing { return .closed(echo: nil) }
            isClosing = true
            var data = frame.unmaskedData
            var echo = ByteBufferAllocator().buffer(capacity: 2)
            if let code = data.readWebSocketErrorCode() { echo.write(webSocketErrorCode: code) }
            return .closed(echo: WebSocketFrame(fin: true, opcode: .connectionClose, data: echo))
        case .ping:
            guard frame.fin else { return .fail(CloseReason(code: 1002, reason: "Fragmented control frame")) }
            return isClosing ? .none : .reply(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData))
        case .pong:
            return .none
        case .text:
            guard partial == nil else { return .fail(CloseReason(code: 1002, reason: "New message before the last one ended")) }
            return append(frame)
        case .continuation:
            guard partial != nil else { return .fail(CloseReason(code: 1002, reason: "Continuation without a message")) }
            return append(frame)
        case .binary:
            return .fail(.badRequest("Invalid message: binary frames are not part of the protocol"))
        default:
            return .fail(CloseReason(code: 1002, reason: "Unknown opcode"))
        }
    }

    /// The server sends its close frame now.
    mutating func startClosing() {
        isClosing = true
    }

    private mutating func append(_ frame: WebSocketFrame) -> Action {
        guard !isClosing else { return .none }
        var data = frame.unmaskedData
        if partial != nil {
            partial!.writeBuffer(&data)
        } else {
            partial = data
        }
        guard partial!.readableBytes <= maxMessageBytes else {
            return .fail(CloseReason(code: 1009, reason: "Message larger than \(maxMessageBytes) bytes"))
        }
        guard frame.fin, let message = partial else { return .none }
        partial = nil
        // RFC 6455 §8.1: text is UTF-8, checked on the whole message (a frame may split a character).
        guard String(validating: message.readableBytesView, as: UTF8.self) != nil else {
            return .fail(CloseReason(code: 1007, reason: "Text message is not valid UTF-8"))
        }
        return .message(message)
    }
}
