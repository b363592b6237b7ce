import TideCrypto
import TideModel

/// Refuses a create or update whose `@encrypted` values are not encrypted (ARCHITECTURE §9.3):
/// each must be null or a `tw1:` envelope (for a list, every element), and each blind-index
/// companion null or a 16-byte hash in base64url. A client that forgot to encrypt is stopped
/// before anything is stored or enters the change feed; the error never repeats the value.
struct EncryptedInputCheck: Sendable {
    private let model: String
    private let encrypted: EncryptedFields
    /// The `<field>BlindIndex` companions.
    private let blindIndexFields: [String]

    init(model: ModelType, schema: AppSchema) {
        self.model = model.name
        encrypted = EncryptedFields(model: model, schema: schema)
        blindIndexFields = model.fields.filter { $0.blindIndexOf != nil }.map(\.name)
    }

    /// True when the model has nothing to check.
    var isEmpty: Bool { encrypted.isEmpty && blindIndexFields.isEmpty }

    func check(_ input: [String: JSONValue]) throws(GraphQLErrorBody) {
        try encrypted.forEachValue(in: input) { (path, value) throws(GraphQLErrorBody) in
            switch value {
            case .null: return
            case .string(let text) where FieldEnvelope.isWellFormed(text): return
            case .array(let items) where items.allSatisfy({ $0.isNull || $0.stringValue.map(FieldEnvelope.isWellFormed) == true }):
                return
            default:
                throw GraphQLErrorBody(
                    message: "\(model).\(path) is @encrypted: send the value encrypted by the client (tw1:…), never plain text.",
                    code: .badUserInput)
            }
        }
        for name in blindIndexFields {
            guard let value = input[name], !value.isNull else { continue }
            guard let text = value.stringValue, Base64URL.decode(text)?.count == FieldCipher.blindIndexLength else {
                throw GraphQLErrorBody(
                    message: "\(model).\(name) is a blind index: send the client's keyed hash (22 characters of base64url).",
                    code: .badUserInput)
            }
        }
    }
}
