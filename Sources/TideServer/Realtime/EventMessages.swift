import NIOCore
import TideGraphQL
import TideModel
import TideStore

/// The `next` messages of one batch of feed entries on one event loop. A payload is rendered
/// once per render key and entry, so a thousand subscribers of one query cost one rendering —
/// also when they are a thousand different users, unless field rules hide fields from them.
/// Around it, each operation id gets its message once: clients that number their operations
/// alike ("1") share one complete WebSocket frame, written as the same `ByteBuffer` to every
/// socket; clients with their own ids (graphql-ws uses UUIDs) each get a copy of the payload
/// in a frame of their own, which costs a copy, not a rendering.
struct EventMessages {
    private struct PayloadKey: Hashable {
        let render: EventSubscription.RenderKey
        let seq: Int64
    }

    private struct MessageKey: Hashable {
        let payload: PayloadKey
        let id: String
    }

    /// Messages up to this size become a single frame; larger ones are fragmented per socket.
    let maxFrameBytes: Int
    /// nil: the entry has no record to render.
    private var payloads: [PayloadKey: [UInt8]?] = [:]
    private var messages: [MessageKey: OutgoingMessage?] = [:]
    /// Each entry's record, made once for all the subscriptions that render it.
    private var records: [Int64: Record?] = [:]

    init(maxFrameBytes: Int) {
        self.maxFrameBytes = maxFrameBytes
    }

    mutating func next(_ subscription: EventSubscription, id: String, entry: FeedEntry) -> OutgoingMessage? {
        // Whether it is heard is the subscriber's own matter (its rights, its filter); what it
        // hears is shared by every subscription with the same render key.
        guard subscription.hears(entry) else { return nil }
        let payloadKey = PayloadKey(render: subscription.renderKey, seq: entry.seq)
        let key = MessageKey(payload: payloadKey, id: id)
        if let message = messages[key] { return message }
        let payload: [UInt8]?
        if let rendered = payloads[payloadKey] {
            payload = rendered
        } else {
            payload = record(for: entry, subscription).map { subscription.render(entry, record: $0) }
            payloads[payloadKey] = payload
        }
        let message = payload.map { OutgoingMessage(ServerMessage.next(id: id, payload: $0), maxFrameBytes: maxFrameBytes) }
        messages[key] = message
        return message
    }

    private mutating func record(for entry: FeedEntry, _ subscription: EventSubscription) -> Record? {
        if let made = records[entry.seq] { return made }
        let record = subscription.record(for: entry)
        records[entry.seq] = record
        return record
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
