import TideModel

/// Input coercion (GraphQL spec §3.10–3.12 and §6.4.1) against the generated schema's input
/// types, with AppSync's scalar formats. Used for variables and for argument values.
///
/// Lists and input objects may nest at most `maxDepth` levels (``GraphQLLimits/maxInputDepth``):
/// literals are bounded on the document's text before it is parsed (``DocumentScan``), variables
/// here, as coercion walks them.
struct InputCoercer: Sendable {
    let types: TypeTable
    let maxDepth: Int

    struct Failure: Error {
        /// Dotted path inside the value, e.g. `input.dueAt`; empty at the top.
        var path: [String]
        var message: String
    }

    /// Coerces a present value (`nil` means absent: only valid for nullable types). `depth` is
    /// how many lists and input objects enclose `value`.
    func coerce(_ value: JSONValue?, as type: TypeRef, path: [String] = [], depth: Int = 0) throws(Failure) -> JSONValue? {
        switch type {
        case .nonNull(let inner):
            guard let value, !value.isNull else {
                throw Failure(path: path, message: "Expected non-nullable type \"\(type)\" not to be null.")
            }
            return try coerce(value, as: inner, path: path, depth: depth)
        case .list(let item):
            guard let value else { return nil }
            if value.isNull { return .null }
            if case .array(let items) = value {
                let inner = try nested(depth, path: path)
                var out: [JSONValue] = []
                out.reserveCapacity(items.count)
                for (i, v) in items.enumerated() {
                    out.append(try coerce(v, as: item, path: path + [String(i)], depth: inner) ?? .null)
                }
                return .array(out)
            }
            // A single value where a list is expected becomes a one-item list.
            return .array([try coerce(value, as: item, path: path, depth: depth) ?? .null])
        case .named(let name):
            guard let value else { return nil }
            if value.isNull { return .null }
            return try coerceNamed(value, name, path: path, depth: depth)
        }
    }

    /// The depth inside one more list or input object.
    private func nested(_ depth: Int, path: [String]) throws(Failure) -> Int {
        guard depth < maxDepth else {
            throw Failure(path: path, message: "Lists and input objects may nest at most \(maxDepth) levels deep.")
        }
        return depth + 1
    }

    private func coerceNamed(_ value: JSONValue, _ name: String, path: [String], depth: Int) throws(Failure) -> JSONValue {
        switch types.kind(of: name) {
        case .scalar?:
            guard let scalar = Scalar(rawValue: name) else { return value }
            switch ScalarCoercion.coerce(value, as: scalar) {
            case .success(let v): return v
            case .failure(let e): throw Failure(path: path, message: e.message)
            }
        case .enumeration(let values)?:
            guard case .string(let s) = value, values.contains(s) else {
                throw Failure(path: path, message: "Value \(value.preview) does not exist in \"\(name)\" enum.")
            }
            return value
        case .inputObject(let fields, let known)?:
            guard case .object(let object) = value else {
                throw Failure(path: path, message: "Expected type \"\(name)\" to be an object.")
            }
            if object.keys.contains(where: { !known.contains($0) }), let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                throw Failure(
                    path: path, message: "Field \"\(unknown.preview(limit: JSONValue.previewLimit))\" is not defined by type \"\(name)\".")
            }
            let inner = try nested(depth, path: path)
            var out: [String: JSONValue] = [:]
            for field in fields {
                if let given = object[field.name] {
                    out[field.name] = try coerce(given, as: field.type, path: path + [field.name], depth: inner) ?? .null
                } else if let defaultValue = field.defaultValue {
                    out[field.name] = defaultValue
                } else if field.type.isNonNull {
                    throw Failure(
                        path: path, message: "Field \"\(field.name)\" of required type \"\(field.type)\" was not provided.")
                }
            }
            return .object(out)
        case .object?, .union?, nil:
            throw Failure(path: path, message: "Type \"\(name)\" is not an input type.")
        }
    }

    /// Coerces request variables against the operation's definitions (spec §6.4.1).
    func coerceVariables(
        _ definitions: [VariableDefinitionPlan], _ given: [String: JSONValue]
    ) throws(GraphQLFailure) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for definition in definitions {
            let value = given[definition.name]
            if value == nil {
                if let defaultValue = definition.defaultValue {
                    out[definition.name] = defaultValue
                } else if definition.type.isNonNull {
                    throw .request(
                        message: "Variable \"$\(definition.name)\" of required type \"\(definition.type)\" was not provided.",
                        code: .badUserInput)
                }
                continue
            }
            do {
                out[definition.name] = try coerce(value, as: definition.type) ?? .null
            } catch {
                let at = error.path.isEmpty ? "" : " at \"\(definition.name).\(error.path.joined(separator: "."))\""
                throw .request(
                    message: "Variable \"$\(definition.name)\" got invalid value \(value!.preview)\(at); \(error.message)",
                    code: .badUserInput)
            }
        }
        return out
    }
}
