import TideModel

/// The two models the crash loop writes, one per conflict strategy (Schema/example.graphql).
public enum CrashModel: String, Sendable, CaseIterable, Hashable {
    /// AUTOMERGE: a stale `_version` is merged and acknowledged with a new version.
    case note = "Note"
    /// OPTIMISTIC_CONCURRENCY: a stale `_version` is refused with `ConflictUnhandled`.
    case post = "Post"

    /// The record table in `<data>/tidewater.sqlite`.
    var tableName: String { "m_\(rawValue)" }

    /// Whether `user` may read (sync, subscribe to) a record `owner` wrote: notes are the
    /// owner's alone, posts are readable by every signed-in user.
    func isVisible(to user: String, owner: String) -> Bool {
        self == .post || user == owner
    }

    /// What a create sends besides the id and title (a post needs its status).
    var createExtras: [String: JSONValue] {
        self == .post ? ["status": "DRAFT"] : [:]
    }
}

/// A write's kind, which is also the subscription that reports it.
public enum CrashOperation: String, Sendable, CaseIterable, Hashable {
    case create = "Create"
    case update = "Update"
    case delete = "Delete"
}

/// One record of the run.
struct RecordKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    var model: CrashModel
    var id: String

    var description: String { "\(model.rawValue) \(id)" }
    static func < (a: RecordKey, b: RecordKey) -> Bool { (a.model.rawValue, a.id) < (b.model.rawValue, b.id) }
}
