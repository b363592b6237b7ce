/// A resolver's answer for one root field: the value for `data` and, when the field was an
/// update that AUTOMERGE merged into a newer record, what the response's `extensions.merged`
/// reports about it.
struct Resolution {
    var value: OutputValue
    /// Set when a stale update was merged: the incoming fields it dropped (possibly none), as
    /// dotted paths.
    var droppedByMerge: [String]?

    init(_ value: OutputValue, droppedByMerge: [String]? = nil) {
        self.value = value
        self.droppedByMerge = droppedByMerge
    }
}
