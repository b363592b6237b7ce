import NIOCore
import TideGraphQL
import TideStore

/// The `next` messages of one batch of feed entries on one event loop, rendered once and shared
/// by every subscription with the same render key and operation id (clients tend to number
/// their operations from "1"), so a thousand subscribers of one query cost one rendering.
///
/// The same `ByteBuffer` is written to every socket: NIO shares its storage, nothing is copied.
struct EventMessages {
    private struct Key: Hashable {
        let render: EventSubscription.RenderKey
        let id: String
        let seq: Int64
    }

    /// nil: the subscription does not hear the entry.
    private var messages: [Key: ByteBuffer?] = [:]

    mutating func next(_ subscription: EventSubscription, id: String, entry: FeedEntry) -> ByteBuffer? {
        // Most subscriptions do not hear most entries (another model or operation): no lookup for those.
        guard subscription.model == entry.model, subscription.operation == entry.operation else { return nil }
        let key = Key(render: subscription.renderKey, id: id, seq: entry.seq)
        if let rendered = messages[key] { return rendered }
        let message = subscription.payload(for: entry).map { ByteBuffer(bytes: ServerMessage.next(id: id, payload: $0)) }
        messages[key] = message
        return message
    }
}
