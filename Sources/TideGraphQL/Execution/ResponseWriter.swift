import TideModel

/// Writes resolved values as JSON following the selection set, applying the spec's null
/// propagation (§6.4.4): a null in a non-null position nulls the nearest nullable parent.
///
/// The selections carry their types (``FieldSelection``), resolved when the document was
/// compiled, so writing looks up nothing by name.
struct ResponseWriter {
    let variables: [String: JSONValue]
    var out = JSONWriter(capacity: 1024)
    var errors: [GraphQLErrorBody] = []
    /// The response path of the value being written: a stack, so that writing a field costs
    /// no array of its own; an error copies it.
    private var path: [GraphQLErrorBody.PathComponent] = []

    init(variables: [String: JSONValue]) {
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
            case .connection(let connection) where field.name == "aggregateItems": items = connection.aggregateItems
            case .json(.array(let values)): items = values.map(OutputValue.json)
            default: items = [value]
            }
            // Every item shares one selection set: collect it once, not once per item.
            var itemField = field
            if field.isObject, field.childrenNeedCollection {
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
            if field.isObject {
                if case .member(let member, let object) = value {
                    let fields = field.children.collect(variables: variables, needsCollection: true, concreteType: member)
                    return writeFields(fields, of: member, .json(.object(object)))
                }
                let fields = field.children.collect(variables: variables, needsCollection: field.childrenNeedCollection)
                return writeFields(fields, of: name, value)
            }
            if case .json(let json) = value { out.write(json) } else { out.null() }
            return true
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
            guard let childType = child.type else {
                // Validation rules out unknown fields; keep the response well-formed regardless.
                out.null()
                continue
            }
            let childValue = fieldValue(child, of: value)
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

    private func fieldValue(_ field: FieldSelection, of value: OutputValue) -> OutputValue {
        switch value {
        case .record(let record):
            return .json(field.recordSource.value(in: record, field: field.name))
        case .connection(let connection):
            switch field.name {
            case "items": return .records(connection.items)
            case "nextToken": return .json(connection.nextToken.map(JSONValue.string) ?? .null)
            case "startedAt": return .json(connection.startedAt.map(JSONValue.int) ?? .null)
            case "total": return .json(connection.total.map { .int(Int64($0)) } ?? .null)
            case "aggregateItems": return value
            default: return .null
            }
        case .json(.object(let object)):
            // An aggregate's `result` is a union member, kept as `{"__member": type, …}`.
            if case .object(var inner)? = object[field.name], case .string(let member)? = inner.removeValue(forKey: "__member") {
                return .member(member, inner)
            }
            return .json(object[field.name] ?? .null)
        default:
            return .null
        }
    }
}
