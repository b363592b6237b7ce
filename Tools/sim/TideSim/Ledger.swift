/// The writes `tide` accepted during a run (a `save` or `delete` that exited 0: applied to the
/// local store and queued in its outbox), which the checker holds the clients to.
struct Ledger: Sendable {
    enum Kind: String, Sendable {
        case create, update, delete
    }

    struct Write: Sendable {
        var step: Int
        var client: Int
        var kind: Kind
        var model: SimModel
        var id: String
        /// The word the write adds (nil for a delete).
        var token: String?
        /// An update saved on a newer version than its `tide get` read (a `tide watch` applied
        /// one in between): it set the words read before, dropping those that came in between.
        var staleRead: Bool
    }

    struct Key: Hashable, Sendable, Comparable {
        var model: SimModel
        var id: String

        static func < (a: Key, b: Key) -> Bool { (a.model.rawValue, a.id) < (b.model.rawValue, b.id) }
    }

    private(set) var writes: [Write] = []
    /// Updates and deletes of a record the client did not hold (not synced yet, or deleted):
    /// skipped, nothing accepted.
    private(set) var skipped = 0

    mutating func accept(_ write: Write) { writes.append(write) }
    mutating func skip() { skipped += 1 }

    var byRecord: [Key: [Write]] { Dictionary(grouping: writes) { Key(model: $0.model, id: $0.id) } }

    func count(_ kind: Kind) -> Int { writes.filter { $0.kind == kind }.count }

    /// Whether some client's delete of the record was accepted.
    func wasDeleted(_ key: Key) -> Bool {
        writes.contains { $0.kind == .delete && $0.model == key.model && $0.id == key.id }
    }

    /// The user whose client created the record (nil when no create was accepted).
    func owner(of key: Key, clients: Int) -> Int? {
        writes.first { $0.kind == .create && $0.model == key.model && $0.id == key.id }
            .map { Schedule.user(ofClient: $0.client, clients: clients) }
    }
}
