/// The AUTOMERGE conflict rules (ARCHITECTURE §4, after AWS AppSync's Automerge): how an update
/// sent with a stale `_version` is merged into the stored record instead of being rejected.
///
/// For each incoming field, by its declared type:
/// - a value equal to the stored one is no conflict;
/// - a field that is null or absent on the server takes the incoming value;
/// - a list is concatenated: the stored items, then the incoming ones (duplicates kept); a list
///   of embedded objects too, item for item, without looking inside the items;
/// - a list declared `@set` gets a union: the stored items, then incoming items not already
///   present, each once;
/// - an embedded object recurses field by field with the embedded type's fields (stored keys the
///   update does not mention are kept);
/// - anything else (a scalar, an enum, `AWSJSON`) keeps the stored value, and the incoming value
///   is **dropped**.
///
/// An explicit null sent over a stored non-null value is a conflicting scalar too: the stored
/// value is kept and the field reported as dropped, so a stale client cannot erase data it never
/// saw. A field the schema does not declare is treated as a scalar (the store rejects it later).
///
/// A pure function of its inputs, shared by the server's writer and, later, the client library.
///
/// ```swift
/// let merger = AutoMerge(model: task, schema: schema)
/// let result = merger.merge(server: ["title": "Ship", "labels": ["a"]],
///                           incoming: ["title": "Ship it", "labels": ["b"]])
/// // result.values == ["title": "Ship", "labels": ["a", "b"]], result.dropped == ["title"]
/// ```
public struct AutoMerge: Sendable, Hashable {
    /// The merged update and what it dropped.
    public struct Result: Sendable, Hashable {
        /// The values to write over the stored record: one per incoming field (fields the
        /// update does not mention stay as stored).
        public var values: [String: JSONValue]
        /// The incoming fields whose value lost to the stored one, as dotted paths into the
        /// record (`"title"`, `"cover.alt"`), in declaration order.
        public var dropped: [String]

        public init(values: [String: JSONValue], dropped: [String]) {
            self.values = values
            self.dropped = dropped
        }
    }

    /// The top-level fields being merged (a model's or an embedded type's).
    public let fields: [Field]
    /// Embedded types by name, for recursing into embedded objects.
    public let embeddedTypes: [String: EmbeddedType]

    public init(fields: [Field], embeddedTypes: [EmbeddedType]) {
        self.fields = fields
        self.embeddedTypes = Dictionary(embeddedTypes.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The merger for a model of `schema`.
    public init(model: ModelType, schema: AppSchema) {
        self.init(fields: model.fields, embeddedTypes: schema.embeddedTypes)
    }

    /// Merges `incoming` (the update's fields) into `server` (the stored fields; an absent key
    /// means null).
    public func merge(server: [String: JSONValue], incoming: [String: JSONValue]) -> Result {
        var dropped: [String] = []
        let values = merge(server: server, incoming: incoming, fields: fields, path: "", dropped: &dropped)
        return Result(values: values, dropped: dropped)
    }

    private func merge(
        server: [String: JSONValue], incoming: [String: JSONValue], fields: [Field], path: String, dropped: inout [String]
    ) -> [String: JSONValue] {
        var merged: [String: JSONValue] = [:]
        merged.reserveCapacity(incoming.count)
        // Declared fields first, then undeclared ones by name: `dropped` comes out in a stable order.
        let declared = fields.map(\.name).filter { incoming[$0] != nil }
        let undeclared = incoming.keys.filter { name in !fields.contains { $0.name == name } }.sorted()
        for name in declared + undeclared {
            guard let theirs = incoming[name] else { continue }
            let field = fields.first { $0.name == name }
            merged[name] = merge(
                server: server[name] ?? .null, incoming: theirs, field: field, path: path + name, dropped: &dropped)
        }
        return merged
    }

    private func merge(
        server ours: JSONValue, incoming theirs: JSONValue, field: Field?, path: String, dropped: inout [String]
    ) -> JSONValue {
        if ours.isNull || ours == theirs { return theirs }
        switch (ours, theirs) {
        case (.array(let stored), .array(let added)) where field?.type.isList == true:
            return .array(field?.isSet == true ? Self.union(stored, added) : stored + added)
        case (.object(let stored), .object(let changed)):
            guard let field, !field.type.isList, case .embedded(let typeName) = field.type.base,
                let embedded = embeddedTypes[typeName]
            else { break }
            var result = stored
            let changes = merge(server: stored, incoming: changed, fields: embedded.fields, path: path + ".", dropped: &dropped)
            for (name, value) in changes { result[name] = value }
            return .object(result)
        default:
            break
        }
        dropped.append(path)
        return ours
    }

    /// `stored`, then each item of `added` not yet present.
    private static func union(_ stored: [JSONValue], _ added: [JSONValue]) -> [JSONValue] {
        var seen = Set(stored)
        var result = stored
        for item in added where seen.insert(item).inserted { result.append(item) }
        return result
    }
}
