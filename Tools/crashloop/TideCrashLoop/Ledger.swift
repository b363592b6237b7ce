import Synchronization

/// A write the server acknowledged: its answer carried the new `_version`, and in
/// `extensions.seq` the feed head once it was written (its own entry's seq or a later one).
struct Acknowledgement: Sendable {
    var key: RecordKey
    var operation: CrashOperation
    var version: Int64
    var feedHead: Int64
    /// The user who wrote the record (its owner).
    var owner: String
}

/// What the writers know of every record: the last acknowledged state, and how many writes
/// went out without an answer (the kill came first), which may or may not have been committed.
///
/// Shared by the concurrent writers, each of which writes only records of its own.
final class Ledger: Sendable {
    struct Entry: Sendable {
        var owner: String
        /// The last acknowledged (or, after a check, stored) version; nil while a create is unanswered.
        var version: Int64?
        var deleted = false
        var title: String?
        /// Writes sent whose answer never came.
        var unanswered = 0
        /// Acknowledged since the last check after a restart.
        var acknowledgedSinceCheck = 0
    }

    private struct State {
        var entries: [RecordKey: Entry] = [:]
        var acknowledgements: [Acknowledgement] = []
    }

    private let state = Mutex(State())

    func acknowledge(_ ack: Acknowledgement, title: String?) {
        state.withLock {
            var entry = $0.entries[ack.key] ?? Entry(owner: ack.owner)
            entry.version = ack.version
            entry.deleted = ack.operation == .delete
            entry.title = title
            entry.acknowledgedSinceCheck += 1
            $0.entries[ack.key] = entry
            $0.acknowledgements.append(ack)
        }
    }

    /// A write to `key` that got no answer.
    func unanswered(_ key: RecordKey, owner: String) {
        state.withLock { $0.entries[key, default: Entry(owner: owner)].unanswered += 1 }
    }

    var acknowledgements: [Acknowledgement] { state.withLock { $0.acknowledgements } }

    func owner(of key: RecordKey) -> String? { state.withLock { $0.entries[key]?.owner } }

    /// The live records `owner` wrote whose state is known (no unanswered write), with their
    /// version: what a writer may update or delete next.
    func writable(_ model: CrashModel, prefix: String) -> [(id: String, version: Int64)] {
        state.withLock {
            $0.entries.compactMap { key, entry in
                guard key.model == model, key.id.hasPrefix(prefix), entry.unanswered == 0, !entry.deleted,
                    let version = entry.version
                else { return nil }
                return (key.id, version)
            }.sorted { $0.id < $1.id }
        }
    }

    /// The result of comparing the ledger with the stored rows after a kill.
    struct Check: Sendable {
        var verified = 0
        var lost = 0
        var problems: [String] = []
    }

    /// Compares every record with what the database holds after a kill: an acknowledged
    /// version must be there (a later one only through writes that got no answer, at most one
    /// version each), at the acknowledged state; an unanswered create may be missing; a
    /// stored record nobody wrote is a problem. Then the stored state becomes the known one.
    func checkAndSettle(against rows: [RecordKey: StoredRow]) -> Check {
        state.withLock { state in
            var check = Check()
            for (key, entry) in state.entries.sorted(by: { $0.key < $1.key }) {
                let stored = rows[key]
                let acknowledged = entry.acknowledgedSinceCheck
                guard let known = entry.version else {
                    // Only an unanswered create: absent, or at a version its unanswered writes reach.
                    if let stored, stored.version > Int64(entry.unanswered) {
                        check.problems.append("\(key): never acknowledged, stored at version \(stored.version) after \(entry.unanswered) unanswered writes")
                    }
                    continue
                }
                guard let stored else {
                    check.lost += acknowledged
                    check.problems.append("\(key): acknowledged at version \(known), missing after the restart")
                    continue
                }
                if stored.version < known {
                    check.lost += acknowledged
                    check.problems.append("\(key): acknowledged at version \(known), stored at version \(stored.version)")
                } else if stored.version > known + Int64(entry.unanswered) {
                    check.problems.append("\(key): stored at version \(stored.version), but the last acknowledged was \(known) with \(entry.unanswered) unanswered writes")
                } else if stored.version == known && (stored.deleted != entry.deleted || (!entry.deleted && stored.title != entry.title)) {
                    check.lost += acknowledged
                    check.problems.append(
                        "\(key): version \(known) stored as deleted=\(stored.deleted) title=\(stored.title ?? "nil"), acknowledged as deleted=\(entry.deleted) title=\(entry.title ?? "nil")")
                } else {
                    check.verified += acknowledged
                }
            }
            for key in rows.keys.sorted() where state.entries[key] == nil {
                check.problems.append("\(key): stored at version \(rows[key]!.version), but no writer wrote it")
            }
            // What the database holds is now what the writers build on.
            var settled: [RecordKey: Entry] = [:]
            for (key, entry) in state.entries {
                guard let stored = rows[key] else { continue }
                settled[key] = Entry(owner: entry.owner, version: stored.version, deleted: stored.deleted, title: stored.title)
            }
            state.entries = settled
            return check
        }
    }
}
