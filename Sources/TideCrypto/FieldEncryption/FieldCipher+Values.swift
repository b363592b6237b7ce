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
        switch value {
        case .null: return .null
        case .string(let text): return .string(try encrypt(text, model: model, id: id, field: field))
        case .array(let elements):
            var sealed: [JSONValue] = []
            sealed.reserveCapacity(elements.count)
            for element in elements {
                switch element {
                case .null: sealed.append(.null)
                case .string(let text): sealed.append(.string(try encrypt(text, model: model, id: id, field: field)))
                default: throw .unsupportedValue
                }
            }
            return .array(sealed)
        default: throw .unsupportedValue
        }
    }

    /// `value` decrypted, or null and the reason when it (or any element of a list) does not
    /// decrypt: a list is shown whole or not at all, never with a garbled element.
    public func decrypt(value: JSONValue, model: String, id: String, field: String) -> (JSONValue, FieldCryptoError?) {
        do throws(FieldCryptoError) {
            switch value {
            case .null: return (.null, nil)
            case .string(let text): return (.string(try decrypt(text, model: model, id: id, field: field)), nil)
            case .array(let elements):
                var opened: [JSONValue] = []
                opened.reserveCapacity(elements.count)
                for element in elements {
                    switch element {
                    case .null: opened.append(.null)
                    case .string(let text): opened.append(.string(try decrypt(text, model: model, id: id, field: field)))
                    default: throw FieldCryptoError.unsupportedValue
                    }
                }
                return (.array(opened), nil)
            default: throw FieldCryptoError.unsupportedValue
            }
        } catch {
            return (.null, error)
        }
    }
}
