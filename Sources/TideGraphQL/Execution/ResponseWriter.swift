import TideModel

/// Writes resolved values as JSON following the selection set, applying the spec's null
/// propagation (§6.4.4): a null in a non-null position nulls the nearest nullable parent.
struct ResponseWriter {
    let types: TypeTable
    let models: [String: ModelType]
    let variables: [String: JSONValue]
    var out = JSONWriter(capacity: 1024)
    var errors: [GraphQLErrorBody] = []
    /// The response path of the value being written: a stack, so that writing a field costs
    /// no array of its own; an error copies it.
    private var path: [GraphQLErrorBody.PathComponent] = []

    init(types: TypeTable, models: [String: ModelType], variables: [String: JSONValue]) {
        self.types = types
        self.models = models
        self.variables = variables
    }

    /// Writes `value` of `type` for `field` at `path`; false when it was null in a non-null
    /// position and nothing usable was written (the caller must null its own position).
    mutating func write(
        _ type: TypeRef, _ value: OutputValue, field: FieldSelection, parentType: String, path: [GraphQLErrorBody.PathComponent]
    ) -> Bool {
        self.path = path
        return writeValue(type, value, field: field, parentType: parentType)
    }

    private mutating func writeValue(_ type: TypeRef, _ value: OutputValue, field: FieldSelection, parentType: String) -> Bool {
        if case .nonNull(let inner) = type {
            guard !value.isNull else {
                errors.append(
                    GraphQLErrorBody(
                        message: "Cannot return null for non-nullable field \(parentType).\(field.name).",
                        locations: [field.location], path: path, code: .internalError))
                return false
            }
            return writeNullable(inner, value, field: field, parentType: parentType)
        }
        let mark = out.count
        if writeNullable(type, value, field: field, parentType: parentType) { return true }
        out.truncate(to: mark)
        out.null()
        return true
    }

    private mutating func writeNullable(_ type: TypeRef, _ value: OutputValue, field: FieldSelection, parentType: String) -> Bool {
        if value.isNull {
            out.null()
            return true
        }
        switch type {
        case .nonNull:
            return writeValue(type, value, field: field, parentType: parentType)
        case .list(let itemType):
            let items: [OutputValue]
            switch value {
            case .records(let records): items = records.map(OutputValue.record)
            case .json(.array(let values)): items = values.map(OutputValue.json)
            default: items = [value]
            }
            // Every item shares one selection set: collect it once, not once per item.
            var itemField = field
            if case .object? = types.kind(of: itemType.namedType), field.childrenNeedCollection {
                itemField.children = field.children.collect(variables: variables, needsCollection: true)
                itemField.childrenNeedCollection = false
            }
            out.raw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { out.raw(",") }
                path.append(.index(i))
                let written = writeValue(itemType, item, field: itemField, parentType: parentType)
                path.removeLast()
                if !written { return false }
            }
            out.raw("]")
            return true
        case .named(let name):
            switch types.kind(of: name) {
            case .object?:
                let fields = field.children.collect(variables: variables, needsCollection: field.childrenNeedCollection)
                return writeFields(fields, of: name, value)
            default:
                if case .json(let json) = value { out.write(json) } else { out.null() }
                return true
            }
        }
    }

    /// Writes the selected fields of an object of type `typeName`.
    private mutating func writeFields(_ fields: [FieldSelection], of typeName: String, _ value: OutputValue) -> Bool {
        out.raw("{")
        for (i, child) in fields.enumerated() {
            if i > 0 { out.raw(",") }
            out.key(child.responseKey)
            if child.name == "__typename" {
                out.string(typeName)
                continue
            }
            guard let childType = types.outputField(typeName, child.name)?.type else {
                // Validation rules out unknown fields; keep the response well-formed regardless.
                out.null()
                continue
            }
            let childValue = fieldValue(child.name, of: value, typeName: typeName)
            path.append(.key(child.responseKey))
            let written = writeValue(childType, childValue, field: child, parentType: typeName)
            path.removeLast()
            if !written { return false }
        }
        out.raw("}")
        return true
    }

    /// The complete response around what was written: `{"errors": …, "data": …, "extensions": …}`
    /// (`errors` only when there are some, `extensions` only when given).
    func responseBody(extensions: JSONValue? = nil) -> [UInt8] {
        var body = JSONWriter(capacity: out.count + 48)
        body.raw("{")
        if !errors.isEmpty {
            body.key("errors")
            GraphQLEngine.writeErrors(errors, to: &body)
            body.raw(",")
        }
        body.key("data")
        body.raw(bytes: out.bytes)
        if let extensions {
            body.raw(",")
            body.key("extensions")
            body.write(extensions)
        }
        body.raw("}")
        return body.bytes
    }

    private func fieldValue(_ name: String, of value: OutputValue, typeName: String) -> OutputValue {
        switch value {
        case .record(let record):
            switch name {
            case Record.MetaField.id: return .json(.string(record.id))
            case Record.MetaField.version: return .json(.int(record.version))
            case Record.MetaField.deleted: return .json(.bool(record.deleted))
            case Record.MetaField.lastChangedAt: return .json(.int(record.lastChangedAt))
            default:
                let model = models[typeName]
                if name == (model?.createdAtField ?? "createdAt") { return .json(.string(record.createdAt)) }
                if name == (model?.updatedAtField ?? "updatedAt") { return .json(.string(record.updatedAt)) }
                return .json(record.fields[name] ?? .null)
            }
        case .connection(let connection):
            switch name {
            case "items": return .records(connection.items)
            case "nextToken": return .json(connection.nextToken.map(JSONValue.string) ?? .null)
            case "startedAt": return .json(connection.startedAt.map(JSONValue.int) ?? .null)
            default: return .null
            }
        case .json(.object(let object)):
            return .json(object[name] ?? .null)
        default:
            return .null
        }
    }
}
