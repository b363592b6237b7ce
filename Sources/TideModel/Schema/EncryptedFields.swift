/// Where a model's `@encrypted` values sit in a record: its own fields and the fields of
/// embedded objects (at any depth, in lists of objects too), with the name each value is
/// encrypted under (ARCHITECTURE §9.3's associated data): the field's name for a model field,
/// the dotted path from the model (`address.street`) inside embedded objects.
///
/// The server walks it to refuse values that are not encrypted.
///
/// ```swift
/// let encrypted = EncryptedFields(model: note, schema: schema)
/// try encrypted.forEachValue(in: input) { path, value in
///     guard isEnvelope(value) else { throw BadInput("\(note.name).\(path) must be encrypted") }
/// }
/// ```
public struct EncryptedFields: Sendable {
    /// One `@encrypted` field, or an embedded field with encrypted fields inside.
    struct Entry: Sendable {
        let name: String
        /// The embedded type's own map, for an embedded field.
        let nested: EncryptedFields?
    }

    private let entries: [Entry]
    /// The dotted path of the fields in this map, from the model ("" at the top).
    private let prefix: String

    /// The encrypted fields of `model`; embedded types are looked up in `schema`.
    public init(model: ModelType, schema: AppSchema) {
        self.init(fields: model.fields, schema: schema, prefix: "", visiting: [])
    }

    private init(fields: [Field], schema: AppSchema, prefix: String, visiting: Set<String>) {
        var entries: [Entry] = []
        for field in fields {
            if field.isEncrypted {
                entries.append(Entry(name: field.name, nested: nil))
            } else if case .embedded(let typeName) = field.type.base, !visiting.contains(typeName),
                      let embedded = schema.embeddedType(named: typeName) {
                let nested = EncryptedFields(
                    fields: embedded.fields, schema: schema, prefix: prefix + field.name + ".",
                    visiting: visiting.union([typeName]))
                if !nested.isEmpty { entries.append(Entry(name: field.name, nested: nested)) }
            }
        }
        self.entries = entries
        self.prefix = prefix
    }

    /// True when the model has no encrypted field anywhere.
    public var isEmpty: Bool { entries.isEmpty }

    /// Calls `body` for each encrypted field present in `values` (a whole record or a partial
    /// input) with its path and its value as sent: a string, a list, or null. Fields absent from
    /// `values` are skipped; embedded objects and lists of them are walked.
    public func forEachValue<E: Error>(
        in values: [String: JSONValue], _ body: (_ path: String, _ value: JSONValue) throws(E) -> Void
    ) throws(E) {
        for entry in entries {
            guard let value = values[entry.name] else { continue }
            guard let nested = entry.nested else {
                try body(prefix + entry.name, value)
                continue
            }
            switch value {
            case .object(let object): try nested.forEachValue(in: object, body)
            case .array(let items):
                for case .object(let object) in items { try nested.forEachValue(in: object, body) }
            default: continue
            }
        }
    }
}
