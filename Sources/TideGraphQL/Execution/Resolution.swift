/// A resolver's answer for one root field: the value for `data` and what the response's
/// top-level `extensions` reports about it — an update AUTOMERGE merged into a newer record
/// (`merged`), or a delta sync answered as a base sync (`baseSync`).
struct Resolution {
    var value: OutputValue
    /// Set when a stale update was merged: the incoming fields it dropped (possibly none), as
    /// dotted paths.
    var droppedByMerge: [String]?
    /// Set when a requested delta sync became a base sync: why.
    var baseSyncReason: String?

    init(_ value: OutputValue, droppedByMerge: [String]? = nil, baseSyncReason: String? = nil) {
        self.value = value
        self.droppedByMerge = droppedByMerge
        self.baseSyncReason = baseSyncReason
    }
}
