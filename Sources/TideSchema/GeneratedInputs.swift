import TideModel

/// Which generated input filters, conditions, key conditions and searches use for a field type,
/// and the shared inputs themselves (Amplify v2 names).
///
/// Operators, per input:
/// - `ModelStringInput`, `ModelIDInput`: `ne eq le lt ge gt contains notContains between beginsWith
///   attributeExists in notIn`
/// - `ModelIntInput`, `ModelFloatInput`: `ne eq le lt ge gt between attributeExists in notIn`
/// - `ModelBooleanInput`: `ne eq attributeExists`
/// - `Model<Enum>Input`: `eq ne in notIn attributeExists`; a list of an enum uses
///   `Model<Enum>ListInput` (`eq ne` on the whole list, `contains notContains` for membership)
/// - `ModelSubscription…Input`: as Amplify (`in notIn`, no `attributeExists`)
/// - `ModelEncryptedInput` (an `@encrypted` field in filters and conditions): `attributeExists`
///   only; subscription filters leave encrypted fields out
///
/// `in`/`notIn` on the filter inputs are Tidewater's extension. Amplify's `attributeType` and
/// `size` are left out (the filter evaluator has no such operators). AWS string scalars filter
/// as `String`, `AWSTimestamp` as `Int`; a list field uses its item type's input (`contains` is
/// membership). Embedded-type and `AWSJSON` fields are not filterable and are left out.
enum GeneratedInputs {
    /// The built-in scalar an AWS scalar behaves as in filters (Amplify's `DEFAULT_SCALARS`); nil
    /// for `AWSJSON`, which is not filterable.
    static func family(_ scalar: Scalar) -> String? {
        switch scalar {
        case .id: "ID"
        case .string, .awsDateTime, .awsDate, .awsTime, .awsEmail, .awsPhone, .awsURL, .awsIPAddress: "String"
        case .int, .awsTimestamp: "Int"
        case .float: "Float"
        case .boolean: "Boolean"
        case .awsJSON: nil
        }
    }

    /// The input of a field in `ModelXFilterInput` / `ModelXConditionInput`.
    static func filterInput(_ type: FieldType) -> String? {
        switch type.base {
        case .embedded: nil
        case .enumeration(let name): type.isList ? "Model\(name)ListInput" : "Model\(name)Input"
        case .scalar(let scalar): family(scalar).map { "Model\($0)Input" }
        }
    }

    /// The input of a field in `ModelSubscriptionXFilterInput` (enums filter as strings, as in Amplify).
    static func subscriptionFilterInput(_ type: FieldType) -> String? {
        switch type.base {
        case .embedded: nil
        case .enumeration: "ModelSubscriptionStringInput"
        case .scalar(let scalar): family(scalar).map { "ModelSubscription\($0)Input" }
        }
    }

    /// The key condition of a single sort key field (enums as strings); nil for Boolean.
    static func keyConditionInput(_ type: FieldType) -> String? {
        switch type.base {
        case .embedded: return nil
        case .enumeration: return "ModelStringKeyConditionInput"
        case .scalar(let scalar):
            guard let family = family(scalar), family != "Boolean" else { return nil }
            return "Model\(family)KeyConditionInput"
        }
    }

    /// The input of a field in `SearchableXFilterInput`.
    static func searchableFilterInput(_ type: FieldType) -> String? {
        switch type.base {
        case .embedded: nil
        case .enumeration: "SearchableStringFilterInput"
        case .scalar(let scalar): family(scalar).map { "Searchable\($0)FilterInput" }
        }
    }

    // MARK: - Shared definitions

    static let scalarFamilies = ["String", "ID", "Int", "Float", "Boolean"]

    /// `ModelStringInput` … `ModelBooleanInput`.
    static func filterScalarInput(_ family: String) -> String {
        var fields: [SDLField] = [SDLField("ne", family), SDLField("eq", family)]
        if family != "Boolean" {
            fields += ["le", "lt", "ge", "gt"].map { SDLField($0, family) }
        }
        if family == "String" || family == "ID" {
            fields += [SDLField("contains", family), SDLField("notContains", family)]
        }
        if family != "Boolean" { fields.append(SDLField("between", "[\(family)]")) }
        if family == "String" || family == "ID" { fields.append(SDLField("beginsWith", family)) }
        fields.append(SDLField("attributeExists", "Boolean"))
        if family != "Boolean" { fields += [SDLField("in", "[\(family)]"), SDLField("notIn", "[\(family)]")] }
        return SDLText.input("Model\(family)Input", fields)
    }

    /// `ModelSubscriptionStringInput` … `ModelSubscriptionBooleanInput`.
    static func subscriptionScalarInput(_ family: String) -> String {
        var fields: [SDLField] = [SDLField("ne", family), SDLField("eq", family)]
        if family != "Boolean" {
            fields += ["le", "lt", "ge", "gt"].map { SDLField($0, family) }
            if family == "String" || family == "ID" {
                fields += [SDLField("contains", family), SDLField("notContains", family)]
            }
            fields.append(SDLField("between", "[\(family)]"))
            if family == "String" || family == "ID" { fields.append(SDLField("beginsWith", family)) }
            fields += [SDLField("in", "[\(family)]"), SDLField("notIn", "[\(family)]")]
        }
        return SDLText.input("ModelSubscription\(family)Input", fields)
    }

    /// What filters and conditions may ask of an `@encrypted` field: whether it is set. Its value
    /// is ciphertext under a random nonce (no comparison means anything), and a comparison would
    /// tempt a client to send the plaintext; equality goes through `<field>BlindIndex`.
    static let encryptedFilterInputName = "ModelEncryptedInput"

    static let encryptedFilterInput = SDLText.input(encryptedFilterInputName, [SDLField("attributeExists", "Boolean")])

    static func enumInput(_ name: String) -> String {
        SDLText.input(
            "Model\(name)Input",
            [
                SDLField("eq", name), SDLField("ne", name), SDLField("in", "[\(name)]"), SDLField("notIn", "[\(name)]"),
                SDLField("attributeExists", "Boolean"),
            ])
    }

    static func enumListInput(_ name: String) -> String {
        SDLText.input(
            "Model\(name)ListInput",
            [
                SDLField("eq", "[\(name)]"), SDLField("ne", "[\(name)]"), SDLField("contains", name),
                SDLField("notContains", name),
            ])
    }

    /// `ModelStringKeyConditionInput` etc.: `eq le lt ge gt between beginsWith` (beginsWith for
    /// String and ID only).
    static func keyConditionInput(family: String) -> String {
        var fields = ["eq", "le", "lt", "ge", "gt"].map { SDLField($0, family) }
        fields.append(SDLField("between", "[\(family)]"))
        if family == "String" || family == "ID" { fields.append(SDLField("beginsWith", family)) }
        return SDLText.input("Model\(family)KeyConditionInput", fields)
    }

    /// `SearchableStringFilterInput` etc. (ARCHITECTURE §10.1): strings `ne gt lt gte lte eq
    /// match matchPhrase matchPhrasePrefix wildcard exists range`; numbers `ne gt lt gte lte eq
    /// range exists`; Booleans `eq ne exists`. The full-text operators work on the
    /// `@searchable(fields:)` fields; the others on any field, against the stored record.
    static func searchableScalarInput(_ family: String) -> String {
        let fields: [SDLField]
        switch family {
        case "String", "ID":
            fields =
                ["ne", "gt", "lt", "gte", "lte", "eq", "match", "matchPhrase", "matchPhrasePrefix", "wildcard"].map { SDLField($0, family) }
                + [SDLField("exists", "Boolean"), SDLField("range", "[\(family)]")]
        case "Boolean":
            fields = [SDLField("eq", "Boolean"), SDLField("ne", "Boolean"), SDLField("exists", "Boolean")]
        default:
            fields =
                ["ne", "gt", "lt", "gte", "lte", "eq"].map { SDLField($0, family) }
                + [SDLField("range", "[\(family)]"), SDLField("exists", "Boolean")]
        }
        return SDLText.input("Searchable\(family)FilterInput", fields)
    }

    static let scalarDescriptions: [Scalar: String] = [
        .awsDateTime: "An ISO 8601 date and time with a time zone offset, e.g. 2024-05-01T12:30:00.000Z.",
        .awsDate: "An ISO 8601 calendar date, e.g. 2024-05-01.",
        .awsTime: "An ISO 8601 time of day, optionally with a time zone offset, e.g. 12:30:00.000Z.",
        .awsTimestamp:
            "An integer count since the Unix epoch: seconds in app fields (and @ttl), milliseconds in _lastChangedAt, startedAt and lastSync.",
        .awsJSON: "A JSON value, sent as a string.",
        .awsEmail: "An email address, e.g. user@example.com.",
        .awsPhone: "A phone number, e.g. +14155550123.",
        .awsURL: "A URL with a scheme, e.g. https://example.com/a.",
        .awsIPAddress: "An IPv4 or IPv6 address, optionally with a prefix length.",
    ]
}
