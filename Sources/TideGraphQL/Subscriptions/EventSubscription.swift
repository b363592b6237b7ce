import TideModel
import TideStore

/// One subscription (`onCreateX`, `onUpdateX` or `onDeleteX`) of one caller, compiled once and
/// applied to every change-feed entry.
///
/// Each entry is checked on its own: the model's read rules against the record image of that
/// entry (an owner hears only about records they own at that version), then the client's
/// `filter` and owner argument; field rules null the fields the caller may not read. The
/// payload is rendered by the engine's ``ResponseWriter`` with the subscription's selection set,
/// so aliases, fragments and `__typename` behave as in queries.
///
/// ```swift
/// guard case .stream(let subscription) = engine.prepare(request, context: context) else { return }
/// for entry in try store.feed(after: seq, limit: 100) {
///     if let payload = subscription.payload(for: entry) { send(payload) }
/// }
/// ```
public struct EventSubscription: Sendable {
    /// The model whose changes this subscription hears.
    public let model: String
    /// INSERT for `onCreateX`, MODIFY for `onUpdateX`, REMOVE for `onDeleteX`.
    public let operation: FeedEntry.Operation
    /// Subscriptions with equal keys render every entry to the same payload, so a server with many
    /// subscribers can render each event once per key instead of once per subscriber.
    public let renderKey: RenderKey
    let modelType: ModelType
    let field: FieldSelection
    let fieldType: TypeRef
    let variables: [String: JSONValue]
    /// The client's filter (guarded against hidden fields) and owner argument, AND-ed.
    let filter: FilterExpression?
    /// The model's read rules for the caller; the caller is fixed for the subscription's life
    /// (a WebSocket connection presents one token), the records are not.
    let read: AccessDecision
    let redaction: Authorization.Redaction

    /// The `next` payload for `entry` — `{"data": {…}, "extensions": {"seq": N}}` — or nil when
    /// this subscription does not hear it (other model or operation, not readable, filtered out).
    /// An `onDeleteX` payload is the record's last image with `_deleted: true` and the new `_version`.
    public func payload(for entry: FeedEntry) -> [UInt8]? {
        guard hears(entry), let record = record(for: entry) else { return nil }
        return render(entry, record: record)
    }

    /// Whether this subscriber hears `entry`: the model and operation, the read rules against
    /// the entry's image, and the filter. Decided per subscriber, before any rendering.
    public func hears(_ entry: FeedEntry) -> Bool {
        guard entry.model == model, entry.operation == operation, let image = entry.newImage, read.covers(image) else {
            return false
        }
        return filter.map { FilterEvaluator.matches($0, image) } ?? true
    }

    /// The payload of an entry this subscription hears, from the entry's record
    /// (``record(for:)``); the same for every subscription with an equal ``renderKey``.
    public func render(_ entry: FeedEntry, record: Record) -> [UInt8] {
        var writer = ResponseWriter(variables: variables)
        writer.out.raw("{")
        writer.out.key(field.responseKey)
        _ = writer.write(
            fieldType, .record(redaction.apply(record)), field: field, parentType: OperationKind.subscription.rootType,
            path: [.key(field.responseKey)])
        writer.out.raw("}")
        return writer.responseBody(extensions: ["seq": .int(entry.seq)])
    }

    /// The record `entry` carries, as every subscription to its model renders it.
    public func record(for entry: FeedEntry) -> Record? {
        entry.newImage.flatMap {
            Record(image: $0, createdAtField: modelType.createdAtField, updatedAtField: modelType.updatedAtField)
        }
    }
}

extension EventSubscription {
    /// What a payload depends on: the request (document, operation, variables) and, when field
    /// rules hide fields from the caller, the caller. Whether a subscriber hears an entry at all
    /// (read rules, filter) is decided per subscriber before the payload is looked up.
    /// A class: the key is copied for every subscriber of every event, and a reference is one
    /// retain; equal keys of different subscriptions still compare equal by value.
    public final class RenderKey: Hashable, Sendable {
        let query: String
        let operationName: String?
        let variables: [String: JSONValue]
        /// nil when no field rule restricts what the caller reads.
        let principal: Principal?
        /// Computed once: the key is looked up for every subscriber of every event.
        private let hash: Int

        init(query: String, operationName: String?, variables: [String: JSONValue], principal: Principal?) {
            self.query = query
            self.operationName = operationName
            self.variables = variables
            self.principal = principal
            var hasher = Hasher()
            hasher.combine(query)
            hasher.combine(operationName)
            hasher.combine(variables)
            hasher.combine(principal)
            hash = hasher.finalize()
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(hash)
        }

        public static func == (lhs: RenderKey, rhs: RenderKey) -> Bool {
            lhs === rhs
                || (lhs.hash == rhs.hash && lhs.query == rhs.query && lhs.operationName == rhs.operationName
                    && lhs.variables == rhs.variables && lhs.principal == rhs.principal)
        }
    }
}
