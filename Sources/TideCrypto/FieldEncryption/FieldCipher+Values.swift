import TideModel

/// Whole field values (`String` or `[String]`, as JSON) for the client's write and read paths.
///
/// ```swift
/// input["body"] = try cipher.encrypt(value: input["body"] ?? .null, model: "Note", id: id, field: "body")
/// let (body, failure) = cipher.decrypt(value: record["body"] ?? .null, model: "Note", id: id, field: "body")
/// if let failure { report("Note \(id) body: \(failure.reason)") }   // body is .null then
/// ```
extension FieldCipher {
    /// `value` encrypted: a string becomes its envelope, each element of a list likewise; null
    /// (and null elements) stay null.
    public func encrypt(value: JSONValue, model: String, id: String, field: String) throws(FieldCryptoError) -> JSONValue {
        try Self.mapStrings(value) { (text) throws(FieldCryptoError) in try encrypt(text, model: model, id: id, field: field) }
    }

    /// `value` decrypted, or null and the reason when it (or any element of a list) does not
    /// decrypt: a list is shown whole or not at all, never with a garbled element.
    public func decrypt(value: JSONValue, model: String, id: String, field: String) -> (JSONValue, FieldCryptoError?) {
        do {
            return (try Self.mapStrings(value) { (text) throws(FieldCryptoError) in
                try decrypt(text, model: model, id: id, field: field)
            }, nil)
        } catch {
            return (.null, error)
        }
    }

    /// `value` with `transform` applied to the string, or to each string of a list; nulls kept.
    private static func mapStrings(
        _ value: JSONValue, _ transform: (String) throws(FieldCryptoError) -> String
    ) throws(FieldCryptoError) -> JSONValue {
        switch value {
        case .null: return .null
        case .string(let text): return .string(try transform(text))
        case .array(let elements):
            var mapped: [JSONValue] = []
            mapped.reserveCapacity(elements.count)
            for element in elements {
                switch element {
                case .null: mapped.append(.null)
                case .string(let text): mapped.append(.string(try transform(text)))
                default: throw .unsupportedValue
                }
            }
            return .array(mapped)
        default: throw .unsupportedValue
        }
    }
}
