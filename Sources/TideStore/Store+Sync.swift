import Foundation
import TideModel
import TideSQLite

/// What delta sync needs beyond `list`: a cut-off, the changes of a time range summarised per
/// record, and how far back a delta can be exact.
extension Store {
    /// A delta-sync cut-off (epoch ms): every change stamped at or below it is committed and
    /// visible, and every later change is stamped above it (`StampClock`).
    public func syncCutoff() -> Int64 {
        clock.claimCutoff()
    }

    /// The model's records changed in (`after`, `upTo`] milliseconds per the change feed, in id
    /// order after `afterID`: each with its image before the first and after the last change
    /// of the range. Needs the feed of the range (see `deltaSyncHorizon`).
    public func changeSummaries(
        model: String, after: Int64, upTo: Int64, afterID: String?, limit: Int
    ) throws(StoreError) -> [ChangeSummary] {
        _ = try table(model)
        try checkOpen()
        return try read { connection throws(SQLiteError) in
            var summaries: [ChangeSummary] = []
            try connection.query(
                FeedSQL.changeSummaries,
                [.text(model), .int(after), .int(upTo), .text(afterID ?? ""), .int(Int64(max(1, limit)))]
            ) { row in
                summaries.append(
                    ChangeSummary(id: row.text(0), before: FeedSQL.image(row, 1), after: FeedSQL.image(row, 2)))
            }
            return summaries
        }
    }

    /// The oldest `lastSync` (epoch ms) from which a delta sync is exact: tombstones and feed
    /// entries younger than their retention are still there.
    public func deltaSyncHorizon(now: Date = Date()) -> Int64 {
        StoredTime.milliseconds(now)
            - min(configuration.tombstoneRetentionSeconds, configuration.feedRetentionSeconds) * 1000
    }
}

/// One record's changes over a time range of the feed.
public struct ChangeSummary: Sendable, Hashable {
    public var id: String
    /// The record before the range's first change (nil: created in the range).
    public var before: [String: JSONValue]?
    /// The record after the range's last change.
    public var after: [String: JSONValue]?

    public init(id: String, before: [String: JSONValue]?, after: [String: JSONValue]?) {
        self.id = id
        self.before = before
        self.after = after
    }
}
