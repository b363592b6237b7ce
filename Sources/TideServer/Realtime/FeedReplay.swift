import Logging
import TideGraphQL
import TideStore

/// Resume replay: what a subscription with `resumeFrom` missed, read back from the store's
/// change feed. The live part comes from ``FeedHub``; a connection replays (from, position],
/// `position` being the last entry the hub handed it, and goes live after `position`, so each
/// matching event arrives once, in feed order, across the switch.
struct FeedReplay: Sendable {
    enum Outcome {
        /// Live events start after this seq.
        case resumed(after: Int64)
        case refused(errors: [UInt8])
    }

    let store: any RecordStore
    let logger: Logger
    /// Entries read from the store at a time.
    var pageSize = 256

    /// Emits the `payload`s of the matching entries in (seq, position] for `subscription`.
    func run(
        _ subscription: EventSubscription, after seq: Int64, upTo position: Int64, emit: ([UInt8]) -> Void
    ) -> Outcome {
        let head = store.feedHead
        guard seq <= head else {
            return .refused(
                errors: ErrorJSON.list(
                    message: "resumeFrom \(seq) is ahead of the change feed (at \(head)): run a delta sync, then subscribe without resumeFrom.",
                    code: .resumeTooOld))
        }
        guard seq < position else { return .resumed(after: seq) }
        var cursor = seq
        while cursor < position {
            let page: [FeedEntry]
            do {
                page = try store.feed(after: cursor, limit: Int(min(Int64(pageSize), position - cursor)))
            } catch {
                logger.error("realtime: replay failed", metadata: ["error": "\(error)"])
                return .refused(errors: ErrorJSON.list(message: "Internal server error.", code: .internalError))
            }
            // The feed has no holes, so a missing successor was removed by retention.
            guard let first = page.first, first.seq == cursor + 1, let last = page.last else {
                return .refused(
                    errors: ErrorJSON.list(
                        message: "The change feed no longer holds the events after seq \(seq): run a delta sync, then subscribe without resumeFrom.",
                        code: .resumeTooOld))
            }
            for entry in page {
                if let payload = subscription.payload(for: entry) { emit(payload) }
            }
            cursor = last.seq
        }
        return .resumed(after: position)
    }
}
