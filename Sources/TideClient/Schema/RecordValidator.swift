import TideModel

/// Checks a record's fields against its model before anything is written locally, with the
/// server's input rules (the scalar formats of `TideModel.ScalarCoercion`, enum values, embedded
/// types, required fields), so a write the server would refuse for its shape fails at once
/// instead of parking later.
///
/// Returns the coerced values (an `Int` given for a `Float` becomes a float, an integer `ID` a
/// string). The managed metadata (`_version`, `createdAt` …) may be present, as in a record
/// printed by `tide get`, and is dropped: only the server sets it. So is a blind index
/// (`<field>BlindIndex`), which the field transform computes from the plaintext.
struct RecordValidator {
    let schema: AppSchema
    let description: ModelDescription
    /// A field transform will encrypt `@encrypted` fields; without one they cannot be written.
    let writesEncryptedFields: Bool

    private var model: ModelType { description.model }

    /// The fields of a create (`isCreate`) or of a partial update.
    func validate(_ fields: [String: JSONValue], isCreate: Bool) throws(TideClientError) -> [String: JSONValue] {
        let managed = description.managedFieldNames
        var checked: [String: JSONValue] = [:]
        for name in fields.keys.sorted() where name != "id" && !managed.contains(name) {
            guard let field = model.field(named: name) else {
                throw .invalidRecord("\(model.name) has no field '\(name)'")
            }
            try checkWritable(field, fields[name]!, path: "\(model.name).\(name)")
            checked[name] = try check(fields[name]!, field.type, path: "\(model.name).\(name)")
        }
        if isCreate {
            let owners = Set(model.authRules.filter { $0.allow == .owner }.map { $0.ownerField ?? "owner" })
            for field in model.fields where field.type.isRequired && field.name != "id" && !owners.contains(field.name) {
                if checked[field.name] == nil || checked[field.name] == .null {
                    throw .invalidRecord("\(model.name).\(field.name) is required")
                }
            }
        }
        return checked
    }

    /// An `@encrypted` field needs a field transform to leave the device.
    private func checkWritable(_ field: Field, _ value: JSONValue, path: String) throws(TideClientError) {
        if field.isEncrypted, !value.isNull, !writesEncryptedFields {
            throw .invalidRecord("\(path) is @encrypted: configure a field transform (docs/CLIENT.md, \"Encrypted fields\") to write it")
        }
    }

    private func check(_ value: JSONValue, _ type: FieldType, path: String) throws(TideClientError) -> JSONValue {
        if value.isNull {
            guard !type.isRequired else { throw .invalidRecord("\(path) is required and cannot be null") }
            return .null
        }
        guard type.isList else { return try check(value, type.base, path: path) }
        guard case .array(let items) = value else {
            throw .invalidRecord("\(path) must be a list of \(type.base.name), got \(value.jsonString)")
        }
        var checked: [JSONValue] = []
        checked.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            if item.isNull {
                guard !type.isItemRequired else { throw .invalidRecord("\(path)[\(index)] cannot be null") }
                checked.append(.null)
            } else {
                checked.append(try check(item, type.base, path: "\(path)[\(index)]"))
            }
        }
        return .array(checked)
    }

    private func check(_ value: JSONValue, _ base: BaseType, path: String) throws(TideClientError) -> JSONValue {
        switch base {
        case .scalar(let scalar):
            switch ScalarCoercion.coerce(value, as: scalar) {
            case .success(let coerced): return coerced
            case .failure(let error): throw .invalidRecord("\(path): \(error.message)")
            }
        case .enumeration(let name):
            guard case .string(let text) = value, schema.enumType(named: name)?.values.contains(text) == true else {
                let allowed = schema.enumType(named: name)?.values.joined(separator: ", ") ?? ""
                throw .invalidRecord("\(path): \(value.jsonString) is not a \(name) (one of \(allowed))")
            }
            return value
        case .embedded(let name):
            guard case .object(let object) = value, let embedded = schema.embeddedType(named: name) else {
                throw .invalidRecord("\(path) must be an object (\(name)), got \(value.jsonString)")
            }
            var checked: [String: JSONValue] = [:]
            for key in object.keys.sorted() {
                guard let field = embedded.field(named: key) else { throw .invalidRecord("\(name) has no field '\(key)' (at \(path))") }
                try checkWritable(field, object[key]!, path: "\(path).\(key)")
                checked[key] = try check(object[key]!, field.type, path: "\(path).\(key)")
            }
            for field in embedded.fields where field.type.isRequired && (checked[field.name] ?? .null).isNull {
                throw .invalidRecord("\(path).\(field.name) is required")
            }
            return .object(checked)
        }
    }
}
