import TideModel

/// What an update wrote, and whether it was merged.
public struct UpdateOutcome: Sendable, Hashable {
    /// The record as written.
    public var record: Record
    /// True when the update's `_version` was stale and it was merged into the stored record
    /// (`WriteGuards.conflictStrategy` `.automerge`).
    public var merged: Bool
    /// The incoming fields the merge dropped in favour of the stored value, as dotted paths
    /// (`"title"`, `"cover.alt"`); empty when nothing was dropped or no merge happened.
    public var dropped: [String]

    public init(record: Record, merged: Bool = false, dropped: [String] = []) {
        self.record = record
        self.merged = merged
        self.dropped = dropped
    }
}
