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
            // The client has closed its side: a close frame it got wrong is answered with the
            // code saying why instead of an echo, and the handshake is over either way.
            return .closed(echo: Self.answer(toClose: frame.unmaskedData))
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

    /// The close frame that answers a client's: its code echoed, or none when it sent none
    /// (RFC 6455 §5.5.1); 1002 for a one-byte body or a code no endpoint may send (§7.4: below
    /// 1000, 1004-1006, 1015 and the rest reserved up to 2999, or past 4999), 1007 for a reason
    /// that is not UTF-8 (§8.1).
    static func answer(toClose body: ByteBuffer) -> WebSocketFrame {
        var body = body
        var answer = ByteBufferAllocator().buffer(capacity: 2)
        switch body.readInteger(as: UInt16.self) {
        case nil where body.readableBytes == 1:
            answer.write(webSocketErrorCode: .protocolError)
        case nil:
            break
        case let code? where !(1000...1003 ~= code || 1007...1014 ~= code || 3000...4999 ~= code):
            answer.write(webSocketErrorCode: .protocolError)
        case _ where String(validating: body.readableBytesView, as: UTF8.self) == nil:
            answer.write(webSocketErrorCode: .dataInconsistentWithMessage)
        case let code?:
            answer.writeInteger(code)
        }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: answer)
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
