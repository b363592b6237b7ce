import NIOCore
import TideGraphQL
import TideModel
import TideStore

/// The `next` messages of one batch of feed entries on one event loop, rendered once and shared
/// by every subscription with the same render key and operation id (clients tend to number
/// their operations from "1"), so a thousand subscribers of one query cost one rendering — also
/// when they are a thousand different users, unless field rules hide fields from them.
///
/// A message is kept as a complete WebSocket frame: the same `ByteBuffer` is written to every
/// socket (NIO shares its storage, nothing is copied or framed again per subscriber).
struct EventMessages {
    private struct Key: Hashable {
        let render: EventSubscription.RenderKey
        let id: String
        let seq: Int64
    }

    /// Messages up to this size become a single frame; larger ones are fragmented per socket.
    let maxFrameBytes: Int
    /// nil: the entry has no record to render.
    private var messages: [Key: OutgoingMessage?] = [:]
    /// Each entry's record, made once for all the subscriptions that render it.
    private var records: [Int64: Record?] = [:]

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    mutating func next(_ subscription: EventSubscription, id: String, entry: FeedEntry) -> OutgoingMessage? {
        // Whether it is heard is the subscriber's own matter (its rights, its filter); what it
        // hears is shared by every subscription with the same render key.
        guard subscription.hears(entry) else { return nil }
        let key = Key(render: subscription.renderKey, id: id, seq: entry.seq)
        if let rendered = messages[key] { return rendered }
        let record: Record?
        if let made = records[entry.seq] {
            record = made
        } else {
            record = subscription.record(for: entry)
            records[entry.seq] = record
        }
        let message = record.map { record in
            OutgoingMessage(ServerMessage.next(id: id, payload: subscription.render(entry, record: record)), maxFrameBytes: maxFrameBytes)
        }
        messages[key] = message
        return message
    }
}

/// A text message ready for any socket: framed already when it fits in one frame.
enum OutgoingMessage {
    /// A complete, unmasked FIN text frame (header and payload).
    case frame(ByteBuffer)
    /// Too large for one frame: the payload, to be fragmented.
    case fragmented(ByteBuffer)

    init(_ bytes: [UInt8], maxFrameBytes: Int) {
        guard bytes.count <= maxFrameBytes else {
            self = .fragmented(ByteBuffer(bytes: bytes))
            return
        }
        // RFC 6455 §5.2: FIN + text opcode, then a 7-bit, 16-bit or 64-bit length; servers never mask.
        var frame = ByteBuffer()
        frame.reserveCapacity(bytes.count + 10)
        frame.writeInteger(UInt8(0x81))
        switch bytes.count {
        case ...125:
            frame.writeInteger(UInt8(bytes.count))
        case ...Int(UInt16.max):
            frame.writeInteger(UInt8(126))
            frame.writeInteger(UInt16(bytes.count))
        default:
            frame.writeInteger(UInt8(127))
            frame.writeInteger(UInt64(bytes.count))
        }
        frame.writeBytes(bytes)
        self = .frame(frame)
    }
}
