import Foundation
import TideModel

/// The storage seam of the server: versioned records and their change feed.
///
/// The GraphQL engine and feed consumers talk to this protocol, not to SQLite, so another
/// backend (PostgreSQL for several stateless nodes, ARCHITECTURE §11) is an added conformance,
/// not a rewrite. `Store` is the embedded SQLite implementation. Every implementation must give
/// the same guarantees: a write returns only once durable, each accepted write bumps
/// `_version` and appends exactly one feed entry in the same transaction, feed `seq` has no
/// holes, and reads never return tombstones (unless asked) or TTL-expired records. An update's
/// guards and its AUTOMERGE merge (`WriteGuards.conflictStrategy`) run on the record as stored
/// in the write's own transaction, so concurrent updates never lose one another's changes.
///
/// ```swift
/// func rename(_ store: any RecordStore, id: String, version: Int64) async throws(StoreError) -> Record {
///     let outcome = try await store.update(
///         model: "Note", id: id, values: ["title": "Renamed"],
///         guards: WriteGuards(expectedVersion: version, conflictStrategy: .automerge), actor: "user:1")
///     if outcome.dropped.contains("title") { print("someone renamed it first") }
///     return outcome.record
/// }
/// ```
public protocol RecordStore: Sendable {
    /// The record, or nil when absent, a tombstone (unless `includeDeleted`) or expired.
    func get(model: String, id: String, includeDeleted: Bool, now: Date) throws(StoreError) -> Record?
    /// One keyset page of records matching the query.
    func list(model: String, query: ListQuery, now: Date) throws(StoreError) -> ListPage
    func create(
        model: String, id: String?, values: [String: JSONValue], condition: FilterExpression?, actor: String
    ) async throws(StoreError) -> Record
    /// Writes `values` over the record; see `WriteGuards` for the checks and stale versions.
    func update(
        model: String, id: String, values: [String: JSONValue], guards: WriteGuards, actor: String
    ) async throws(StoreError) -> UpdateOutcome
    /// Tombstones the record; a stale version is always a `versionConflict`.
    func delete(model: String, id: String, guards: WriteGuards, actor: String) async throws(StoreError) -> Record
    /// A delta-sync cut-off: changes stamped at or below it are all committed; later ones stamp above.
    func syncCutoff() -> Int64
    /// Per record changed in (`after`, `upTo`] ms: its image before and after the range.
    func changeSummaries(model: String, after: Int64, upTo: Int64, afterID: String?, limit: Int) throws(StoreError)
        -> [ChangeSummary]
    /// The oldest `lastSync` from which a delta sync is exact (retention has kept what it needs).
    func deltaSyncHorizon(now: Date) -> Int64
    /// When the data was last restored from a backup (nil: never): a delta from before it is a base sync.
    var restorePoint: RestorePoint? { get }
    /// Highest committed feed `seq` (0 when empty).
    var feedHead: Int64 { get }
    /// Feed entries after `seq`, in order, at most `limit`.
    func feed(after seq: Int64, limit: Int) throws(StoreError) -> [FeedEntry]
    /// The feed head after each commit that appended entries; a lagging consumer gets only the
    /// newest head, never a blocked writer. Finishes when the store closes.
    func commits() -> AsyncStream<Int64>
    /// When the entry at `seq` was committed (epoch ms); nil when absent or trimmed.
    func feedTimestamp(seq: Int64) throws(StoreError) -> Int64?
    func checkpoint(consumer: String) throws(StoreError) -> Int64?
    /// Saves a consumer's position; feed retention never trims an entry after the lowest one.
    func saveCheckpoint(consumer: String, seq: Int64) async throws(StoreError)
    func checkpoints() throws(StoreError) -> [ConsumerCheckpoint]
    /// Declares a consumer dead: retention stops waiting for it.
    func removeCheckpoint(consumer: String) async throws(StoreError) -> Bool
}

extension RecordStore {
    /// A live record now.
    public func get(model: String, id: String) throws(StoreError) -> Record? {
        try get(model: model, id: id, includeDeleted: false, now: Date())
    }

    /// An update checked against `expectedVersion` and `condition` only; a stale version is a
    /// `versionConflict` (no merge, so there is nothing to report beside the record).
    public func update(
        model: String, id: String, expectedVersion: Int64?, values: [String: JSONValue], condition: FilterExpression?,
        actor: String
    ) async throws(StoreError) -> Record {
        try await update(
            model: model, id: id, values: values,
            guards: WriteGuards(expectedVersion: expectedVersion, condition: condition), actor: actor
        ).record
    }

    /// A delete checked against `expectedVersion` and `condition` only.
    public func delete(
        model: String, id: String, expectedVersion: Int64?, condition: FilterExpression?, actor: String
    ) async throws(StoreError) -> Record {
        try await delete(
            model: model, id: id, guards: WriteGuards(expectedVersion: expectedVersion, condition: condition), actor: actor)
    }

    /// A page as of now.
    public func list(model: String, query: ListQuery) throws(StoreError) -> ListPage {
        try list(model: model, query: query, now: Date())
    }
}

extension Store: RecordStore {}
