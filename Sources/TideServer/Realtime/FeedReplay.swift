import Logging
import NIOCore
import NIOPosix
import TideGraphQL
import TideStore

/// Resume replay: what a subscription with `resumeFrom` missed, read back from the store's
/// change feed a page at a time, off the event loops. The live part comes from ``FeedHub``.
///
/// A connection replays page after page up to its `position` (the last entry the hub handed
/// it), which moves on while the replay runs; the subscription stays silent for live entries
/// meanwhile, and once the replay has caught up with `position` it goes live after it. So each
/// matching event arrives once, in feed order, across the switch, however long the replay.
///
/// Each page is read and rendered on a thread pool, not on the loop that serves the connection
/// and many others, and the next page is only asked for once the socket has taken the last one:
/// a client resuming from an old position costs the others on its loop a page's worth of
/// writing at a time, and holds at most a page in memory beyond what its socket buffers.
struct FeedReplay: Sendable {
    /// One page of a replay.
    enum Page: Sendable {
        /// The `payload`s of the matching entries in (cursor, `last`], in feed order.
        case payloads([[UInt8]], last: Int64)
        case refused(errors: [UInt8])
    }

    let store: any RecordStore
    let threadPool: NIOThreadPool
    let logger: Logger
    /// Entries read from the store at a time.
    var pageSize = 256

    /// A refusal when `seq` is ahead of the feed's head (a position from another server, or from
    /// before a restore); nil when a replay from it can start.
    func refusal(resumingFrom seq: Int64) -> [UInt8]? {
        let head = store.feedHead
        guard seq > head else { return nil }
        return ErrorJSON.list(
            message: "resumeFrom \(seq) is ahead of the change feed (at \(head)): run a delta sync, then subscribe without resumeFrom.",
            code: .resumeTooOld)
    }

    /// Reads the page after `cursor` (up to `position`) on the thread pool and renders it for
    /// `subscription`; the result arrives on `eventLoop`. `resumedFrom` names the subscription's
    /// `resumeFrom` in the error if the feed no longer holds the entries.
    func page(
        _ subscription: EventSubscription, after cursor: Int64, upTo position: Int64, resumedFrom: Int64,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<Page> {
        let (store, logger, limit) = (store, logger, Int(min(Int64(pageSize), position - cursor)))
        return threadPool.runIfActive(eventLoop: eventLoop) { () -> Page in
            let entries: [FeedEntry]
            do {
                entries = try store.feed(after: cursor, limit: limit)
            } catch {
                logger.error("realtime: replay failed", metadata: ["error": "\(error)"])
                return .refused(errors: ErrorJSON.list(message: "Internal server error.", code: .internalError))
            }
            // The feed has no holes, so a missing successor was removed by retention.
            guard let first = entries.first, first.seq == cursor + 1, let last = entries.last else {
                return .refused(
                    errors: ErrorJSON.list(
                        message: "The change feed no longer holds the events after seq \(resumedFrom): run a delta sync, then subscribe without resumeFrom.",
                        code: .resumeTooOld))
            }
            return .payloads(entries.compactMap { subscription.payload(for: $0) }, last: last.seq)
        }
    }
}
