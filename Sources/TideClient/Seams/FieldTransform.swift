import TideModel

/// A per-field transform between the local store and the wire: the seam for end-to-end
/// encrypted fields (ARCHITECTURE §9.3). The local store holds what the app reads (plaintext);
/// the transform turns it into what the server may see before a write is sent, and back when
/// records arrive (sync pages, subscription events, mutation answers, the server copies that
/// conflicts carry). Filters sent to the server (a sync predicate's base sync) pass through
/// ``serverFilter(_:model:)``. ``FieldEncryptor`` is the implementation with TideCrypto's keys;
/// the sketch below shows the shape of the seam.
///
/// The library calls ``outgoing(_:field:path:model:recordID:)`` and
/// ``incoming(_:field:path:model:recordID:)`` only for the fields ``applies(to:of:)`` selects
/// (by default the `@encrypted` ones), at any depth: `path` is the field's dotted path in the
/// record (`"body"`, or `"address.street"` inside an embedded object, also for each object of a
/// list). Models without such fields cost nothing. Without a transform, the library refuses to
/// write an `@encrypted` field at all (the server would refuse the plaintext anyway).
///
/// ```swift
/// struct FieldCipher: FieldTransform {
///     let keys: UnlockedKeys
///     func outgoing(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) throws -> JSONValue {
///         guard case .string(let text) = value else { return value }
///         return .string(try keys.seal(text, aad: "\(model.name)\0\(recordID)\0\(path)"))     // "tw1:…"
///     }
///     func incoming(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) -> JSONValue {
///         guard case .string(let sealed) = value else { return value }
///         return (try? keys.open(sealed, aad: "\(model.name)\0\(recordID)\0\(path)")).map(JSONValue.string) ?? .null
///     }
///     func companionInputs(for fields: [String: JSONValue], model: ModelType, recordID: String) throws -> [String: JSONValue] {
///         // `@encrypted(blindIndex: true)`: the keyed hash goes beside the ciphertext.
///         guard case .string(let email)? = fields["assigneeEmail"] else { return [:] }
///         return ["assigneeEmailBlindIndex": .string(keys.blindIndex(email, field: "assigneeEmail"))]
///     }
///     func serverFilter(_ filter: FilterExpression, model: ModelType) throws -> FilterExpression {
///         // {assigneeEmail: {eq: v}} → {assigneeEmailBlindIndex: {eq: H(v)}}
///         try keys.rewriteEquality(filter, model: model)
///     }
/// }
/// configuration.fieldTransform = FieldCipher(keys: unlocked)
/// ```
public protocol FieldTransform: Sendable {
    /// Whether the transform handles this field (default: fields declared `@encrypted`).
    func applies(to field: Field, of model: ModelType) -> Bool
    /// A value about to be sent (a create's or update's input). Throwing stops the send: the
    /// entry is parked with the error as its reason, so no plaintext leaves by accident.
    func outgoing(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) throws -> JSONValue
    /// A value that arrived from the server, before it is stored locally. A value that cannot
    /// be turned back should come back as null (and be reported by the transform).
    func incoming(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) -> JSONValue
    /// Extra input fields to send with a write, from the local (plaintext) fields it sends.
    func companionInputs(for fields: [String: JSONValue], model: ModelType, recordID: String) throws -> [String: JSONValue]
    /// A filter about to be sent to the server (the sync predicate of a base sync).
    func serverFilter(_ filter: FilterExpression, model: ModelType) throws -> FilterExpression
}

extension FieldTransform {
    public func applies(to field: Field, of model: ModelType) -> Bool { field.isEncrypted }
    public func companionInputs(for fields: [String: JSONValue], model: ModelType, recordID: String) throws -> [String: JSONValue] {
        [:]
    }
    public func serverFilter(_ filter: FilterExpression, model: ModelType) throws -> FilterExpression { filter }
}

/// The configured transform, applied to whole records: every field it applies to, at any depth
/// (nothing to do without a transform, or for a model without such fields).
struct TransformPipeline: Sendable {
    let transform: (any FieldTransform)?
    let schema: AppSchema

    /// The fields a write sends, as the server may see them (with companion inputs).
    func outgoing(_ fields: [String: JSONValue], model: ModelType, recordID: String) throws -> [String: JSONValue] {
        guard let transform else { return fields }
        var sent = fields
        for field in model.fields {
            guard let value = fields[field.name], !value.isNull else { continue }
            sent[field.name] = try map(value, field: field, path: field.name, model: model) { value, field, path throws in
                try transform.outgoing(value, field: field, path: path, model: model, recordID: recordID)
            }
        }
        for (name, value) in try transform.companionInputs(for: fields, model: model, recordID: recordID) { sent[name] = value }
        return sent
    }

    /// A record from the server, as the local store keeps it.
    func incoming(_ record: Record, model: ModelType) -> Record {
        guard let transform else { return record }
        var record = record
        for field in model.fields {
            guard let value = record.fields[field.name], !value.isNull else { continue }
            let id = record.id
            record.fields[field.name] = map(value, field: field, path: field.name, model: model) { value, field, path in
                transform.incoming(value, field: field, path: path, model: model, recordID: id)
            }
        }
        return record
    }

    func serverFilter(_ filter: FilterExpression, model: ModelType) throws -> FilterExpression {
        try transform?.serverFilter(filter, model: model) ?? filter
    }

    /// Applies `body` to `value` if the transform handles `field`, else descends into embedded
    /// objects (and lists of them) looking for fields it handles.
    private func map(
        _ value: JSONValue, field: Field, path: String, model: ModelType,
        _ body: (JSONValue, Field, String) throws -> JSONValue
    ) rethrows -> JSONValue {
        if transform?.applies(to: field, of: model) == true { return try body(value, field, path) }
        guard case .embedded(let typeName) = field.type.base, let embedded = schema.embeddedType(named: typeName) else { return value }
        func object(_ value: JSONValue) throws -> JSONValue {
            guard case .object(var members) = value else { return value }
            for inner in embedded.fields {
                guard let member = members[inner.name], !member.isNull else { continue }
                members[inner.name] = try map(member, field: inner, path: path + "." + inner.name, model: model, body)
            }
            return .object(members)
        }
        if case .array(let items) = value { return .array(try items.map(object)) }
        return try object(value)
    }
}
