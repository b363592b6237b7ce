import TideModel
import TideSchema

/// The app schema as the client uses it: the models with the root fields of their generated
/// operations and the selection that reads a whole record, parsed from the same annotated SDL
/// the server runs (`GET /schema`, or embedded in the app).
///
/// ```swift
/// let schema = try ClientSchema(sdl: String(contentsOfFile: "Schema/example.graphql", encoding: .utf8))
/// let note = try schema.model("Note")   // fields, @conflict strategy, indexes, operation names
/// ```
public struct ClientSchema: Sendable {
    /// The parsed annotated schema.
    public let app: AppSchema
    /// The SDL text it was parsed from.
    public let source: String
    private let descriptions: [String: ModelDescription]

    /// Parses annotated SDL; every problem is reported at once, as `file:line:column: message`.
    public init(sdl: String, file: String = "<schema>") throws(TideClientError) {
        do {
            app = try SchemaLoader.load(source: sdl, file: file)
        } catch {
            throw .schemaUnavailable(error.description)
        }
        source = sdl
        let operations = app.generatedOperations
        var descriptions: [String: ModelDescription] = [:]
        for model in app.models {
            descriptions[model.name] = ModelDescription(
                model: model, schema: app, operations: operations.filter { $0.model == model.name })
        }
        self.descriptions = descriptions
    }

    /// The model's description, or `unknownModel`.
    func model(_ name: String) throws(TideClientError) -> ModelDescription {
        guard let description = descriptions[name] else { throw .unknownModel(name) }
        return description
    }

    /// Every model, in schema order.
    var models: [ModelDescription] { app.models.compactMap { descriptions[$0.name] } }

    /// A model's field names in schema order, without `id` (table columns, typed layers).
    public func fieldNames(of model: String) throws(TideClientError) -> [String] {
        try self.model(model).model.fields.map(\.name).filter { $0 != "id" }
    }

    /// The names of the models the client syncs (those with a `syncXs` query), in schema order.
    public var syncedModelNames: [String] { models.filter { $0.operations.sync != nil }.map(\.model.name) }
}

/// One model as the client needs it: its declaration, its root field names and its selection.
struct ModelDescription: Sendable {
    /// Root field names of the generated operations the model has (nil when `@model` turns one off).
    struct Operations: Sendable {
        var get: String?
        var sync: String?
        var create: String?
        var update: String?
        var delete: String?
        var onCreate: String?
        var onUpdate: String?
        var onDelete: String?
    }

    let model: ModelType
    let operations: Operations
    /// Every field of a whole record, metadata included: `id title cover { url alt } _version …`.
    let selection: String
    let merger: AutoMerge
    let documents: GraphQLDocuments
    var name: String { model.name }

    init(model: ModelType, schema: AppSchema, operations: [GeneratedOperation]) {
        self.model = model
        var names = Operations()
        for operation in operations {
            switch operation.kind {
            case .get: names.get = operation.fieldName
            case .sync: names.sync = operation.fieldName
            case .create: names.create = operation.fieldName
            case .update: names.update = operation.fieldName
            case .delete: names.delete = operation.fieldName
            case .onCreate: names.onCreate = operation.fieldName
            case .onUpdate: names.onUpdate = operation.fieldName
            case .onDelete: names.onDelete = operation.fieldName
            case .list, .search, .indexQuery, .notification: break
            }
        }
        self.operations = names
        var parts = model.fields.map { Self.selection(of: $0, schema: schema, depth: 0) }
        parts += [Record.MetaField.version, Record.MetaField.deleted, Record.MetaField.lastChangedAt]
        parts += [model.createdAtField, model.updatedAtField].compactMap { $0 }
        selection = parts.joined(separator: " ")
        merger = AutoMerge(model: model, schema: schema)
        documents = GraphQLDocuments(model: model.name, operations: names, selection: selection)
    }

    /// A field, with the sub-selection of an embedded type (embedded types nest; the schema
    /// checker refuses cycles, the depth bound is a guard).
    private static func selection(of field: Field, schema: AppSchema, depth: Int) -> String {
        guard case .embedded(let typeName) = field.type.base, let embedded = schema.embeddedType(named: typeName), depth < 8
        else { return field.name }
        let inner = embedded.fields.map { selection(of: $0, schema: schema, depth: depth + 1) }
        return "\(field.name) { \(inner.joined(separator: " ")) }"
    }

    /// The names of the managed timestamps and metadata, which a record's input may carry (a
    /// record printed by `tide get` saved back) but which only the server sets, and the blind
    /// indexes, which the field transform computes.
    var managedFieldNames: Set<String> {
        var names: Set<String> = [Record.MetaField.version, Record.MetaField.deleted, Record.MetaField.lastChangedAt]
        for field in model.fields where field.blindIndexOf != nil { names.insert(field.name) }
        if let created = model.createdAtField { names.insert(created) }
        if let updated = model.updatedAtField { names.insert(updated) }
        return names
    }

    /// A record as the server sends it (`{id, fields…, _version, …}`), or nil when it lacks the
    /// metadata every record carries.
    func record(fromWire value: consuming JSONValue) -> Record? {
        guard case .object(let image) = consume value else { return nil }
        return Record(image: image, createdAtField: model.createdAtField, updatedAtField: model.updatedAtField)
    }
}
