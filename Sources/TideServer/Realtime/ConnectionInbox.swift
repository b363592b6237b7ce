import Synchronization
import TideGraphQL
import TideStore

/// Everything one connection reacts to, in one ordered stream read by the connection's task:
/// client messages, change-feed entries from the hub, timer ticks and finished queries.
///
/// Feed entries are bounded: the hub hands them over without waiting, and once more than
/// `capacity` are waiting the inbox refuses further entries for good and reports the overflow.
/// The connection then closes with 4413 instead of holding memory or slowing anyone else.
/// Other items are few per connection (the client's own messages) and are not counted.
final class ConnectionInbox: Sendable {
    enum Item: Sendable {
        case client(Result<ClientMessage, ClientMessage.Violation>)
        /// Consecutive feed entries, in seq order.
        case entries([FeedEntry])
        /// Time to check the init timeout, token expiry and the ping interval.
        case tick
        /// A query or mutation sent over the socket has its response.
        case finished(id: String, GraphQLResponse)
        /// The client closed the socket (or it broke).
        case socketClosed
    }

    let items: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let capacity: Int
    private let waiting = Atomic<Int>(0)
    private let overflowed = Atomic<Bool>(false)
    private let onOverflow: @Sendable () -> Void

    /// `onOverflow` runs once, on the hub's task, when the inbox overflows: it must not block.
    init(capacity: Int, onOverflow: @escaping @Sendable () -> Void) {
        (items, continuation) = AsyncStream.makeStream(of: Item.self)
        self.capacity = max(1, capacity)
        self.onOverflow = onOverflow
    }

    /// From the hub, never blocking. False once the inbox has overflowed: the hub then forgets it.
    func deliver(_ entries: [FeedEntry]) -> Bool {
        guard !overflowed.load(ordering: .acquiring) else { return false }
        if waiting.add(entries.count, ordering: .relaxed).newValue > capacity {
            if !overflowed.exchange(true, ordering: .acquiringAndReleasing) { onOverflow() }
            // Wake the connection even if it is idle, so it closes now rather than at its next message.
            continuation.yield(.tick)
            return false
        }
        continuation.yield(.entries(entries))
        return true
    }

    /// The connection took `count` entries out.
    func took(_ count: Int) {
        waiting.subtract(count, ordering: .relaxed)
    }

    /// True once entries were refused: the connection must close (4413).
    var hasOverflowed: Bool { overflowed.load(ordering: .acquiring) }

    func post(_ item: Item) {
        continuation.yield(item)
    }

    /// Ends `items` after what is already queued.
    func finish() {
        continuation.finish()
    }
}
