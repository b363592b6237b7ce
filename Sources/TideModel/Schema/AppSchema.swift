/// The app's data model as described by its annotated SDL (ARCHITECTURE §2), after parsing
/// and validation. Server, client library and tools all work from this description; it knows
/// nothing of GraphQL syntax or SQL.
public struct AppSchema: Sendable, Hashable {
    /// `@model` types, in source order.
    public var models: [ModelType]
    /// Enums, in source order.
    public var enums: [EnumType]
    /// Object types without `@model`: stored inline inside a model field.
    public var embeddedTypes: [EmbeddedType]

    public init(models: [ModelType], enums: [EnumType] = [], embeddedTypes: [EmbeddedType] = []) {
        self.models = models
        self.enums = enums
        self.embeddedTypes = embeddedTypes
    }

    public func model(named name: String) -> ModelType? { models.first { $0.name == name } }
    public func enumType(named name: String) -> EnumType? { enums.first { $0.name == name } }
    public func embeddedType(named name: String) -> EmbeddedType? { embeddedTypes.first { $0.name == name } }
}

/// A position in a source file, 1-based.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A stored type (`@model`).
public struct ModelType: Sendable, Hashable {
    public var name: String
    /// Amplify's plural, used in `listXs`, `syncXs`, `searchXs`.
    public var pluralName: String
    /// Declared fields in source order. The id field is always present and named `id`.
    public var fields: [Field]
    /// Model-level `@auth` rules (empty: no rules declared).
    public var authRules: [AuthRule]
    /// Secondary indexes declared with `@index`.
    public var indexes: [Index]
    /// The `@ttl(field:)` field: epoch seconds after which the record expires.
    public var ttlField: String?
    /// The `@searchable(fields:)` fields; `nil` when the model is not searchable.
    public var searchableFields: [String]?
    public var conflictStrategy: ConflictStrategy
    /// Which generated operations exist (`@model(queries:, mutations:, subscriptions:)`).
    public var operations: ModelOperations
    /// Names of the managed timestamp fields (`@model(timestamps:)`); `nil` disables one.
    public var createdAtField: String?
    public var updatedAtField: String?
    /// Root field names chosen in `@model` (Amplify's `queries: { get: "fetchNote" }`), keyed by
    /// operation: `get list sync create update delete onCreate onUpdate onDelete`. An operation
    /// absent here keeps its default name (`getNote`, `listNotes`, …). Prefer TideSchema's
    /// `AppSchema.generatedOperations`, which resolves every name.
    public var customOperationNames: [String: String]
    public var location: SourceLocation?

    public init(
        name: String,
        pluralName: String,
        fields: [Field],
        authRules: [AuthRule] = [],
        indexes: [Index] = [],
        ttlField: String? = nil,
        searchableFields: [String]? = nil,
        conflictStrategy: ConflictStrategy = .automerge,
        operations: ModelOperations = .all,
        createdAtField: String? = "createdAt",
        updatedAtField: String? = "updatedAt",
        customOperationNames: [String: String] = [:],
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.pluralName = pluralName
        self.fields = fields
        self.authRules = authRules
        self.indexes = indexes
        self.ttlField = ttlField
        self.searchableFields = searchableFields
        self.conflictStrategy = conflictStrategy
        self.operations = operations
        self.createdAtField = createdAtField
        self.updatedAtField = updatedAtField
        self.customOperationNames = customOperationNames
        self.location = location
    }

    public func field(named name: String) -> Field? { fields.first { $0.name == name } }
}

/// Which operations `@model` generates.
public struct ModelOperations: Sendable, Hashable {
    public var get: Bool
    public var list: Bool
    public var sync: Bool
    public var create: Bool
    public var update: Bool
    public var delete: Bool
    public var onCreate: Bool
    public var onUpdate: Bool
    public var onDelete: Bool

    public static let all = ModelOperations(
        get: true, list: true, sync: true, create: true, update: true, delete: true,
        onCreate: true, onUpdate: true, onDelete: true)

    public init(
        get: Bool, list: Bool, sync: Bool, create: Bool, update: Bool, delete: Bool,
        onCreate: Bool, onUpdate: Bool, onDelete: Bool
    ) {
        self.get = get
        self.list = list
        self.sync = sync
        self.create = create
        self.update = update
        self.delete = delete
        self.onCreate = onCreate
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }
}

public enum ConflictStrategy: String, Sendable, Hashable {
    case optimisticConcurrency = "OPTIMISTIC_CONCURRENCY"
    case automerge = "AUTOMERGE"
}

/// A field of a model or embedded type.
public struct Field: Sendable, Hashable {
    public var name: String
    public var type: FieldType
    /// `@encrypted`: the client stores ciphertext; the server treats it as an opaque string.
    public var isEncrypted: Bool
    /// `@encrypted(blindIndex: true)`: the model also has the companion ``blindIndexFieldName``.
    public var hasBlindIndex: Bool
    /// On a `<field>BlindIndex` companion: the name of the encrypted field it indexes.
    public var blindIndexOf: String?
    /// `@set` on a list field: AUTOMERGE unions instead of concatenating.
    public var isSet: Bool
    /// Field-level `@auth` rules; `nil` when the field inherits the model's rules.
    public var authRules: [AuthRule]?
    public var location: SourceLocation?

    public init(
        name: String,
        type: FieldType,
        isEncrypted: Bool = false,
        hasBlindIndex: Bool = false,
        blindIndexOf: String? = nil,
        isSet: Bool = false,
        authRules: [AuthRule]? = nil,
        location: SourceLocation? = nil
    ) {
        self.name = name
        self.type = type
        self.isEncrypted = isEncrypted
        self.hasBlindIndex = hasBlindIndex
        self.blindIndexOf = blindIndexOf
        self.isSet = isSet
        self.authRules = authRules
        self.location = location
    }
}

extension Field {
    /// The server-visible companion of an `@encrypted(blindIndex: true)` field (ARCHITECTURE §9.3):
    /// `<name>BlindIndex`, a `String` holding the keyed hash the client computes.
    public static func blindIndexFieldName(for field: String) -> String { field + "BlindIndex" }
}

/// A field's type: a named base type, optionally a list, with GraphQL nullability.
public struct FieldType: Sendable, Hashable, CustomStringConvertible {
    public var base: BaseType
    public var isList: Bool
    /// `T!` or `[T]!`.
    public var isRequired: Bool
    /// `[T!]`: list items may not be null.
    public var isItemRequired: Bool

    public init(base: BaseType, isList: Bool = false, isRequired: Bool = false, isItemRequired: Bool = false) {
        self.base = base
        self.isList = isList
        self.isRequired = isRequired
        self.isItemRequired = isItemRequired
    }

    /// The type as written in SDL, e.g. `[String!]!`.
    public var description: String {
        let named = base.name
        if isList {
            return "[\(named)\(isItemRequired ? "!" : "")]\(isRequired ? "!" : "")"
        }
        return "\(named)\(isRequired ? "!" : "")"
    }
}

/// The named type under a field.
public enum BaseType: Sendable, Hashable {
    case scalar(Scalar)
    case enumeration(String)
    /// A non-model object type, stored inline as JSON.
    case embedded(String)

    public var name: String {
        switch self {
        case .scalar(let s): s.rawValue
        case .enumeration(let n), .embedded(let n): n
        }
    }
}

/// The scalars a schema may use (GraphQL built-ins plus AppSync's AWS scalars).
public enum Scalar: String, Sendable, Hashable, CaseIterable {
    case id = "ID"
    case string = "String"
    case int = "Int"
    case float = "Float"
    case boolean = "Boolean"
    case awsDateTime = "AWSDateTime"
    case awsDate = "AWSDate"
    case awsTime = "AWSTime"
    case awsTimestamp = "AWSTimestamp"
    case awsJSON = "AWSJSON"
    case awsEmail = "AWSEmail"
    case awsPhone = "AWSPhone"
    case awsURL = "AWSURL"
    case awsIPAddress = "AWSIPAddress"

    /// True for the AWS scalars (declared in generated SDL as custom scalars).
    public var isCustom: Bool {
        switch self {
        case .id, .string, .int, .float, .boolean: false
        default: true
        }
    }
}

/// A stored enum.
public struct EnumType: Sendable, Hashable {
    public var name: String
    public var values: [String]
    public var location: SourceLocation?
    public init(name: String, values: [String], location: SourceLocation? = nil) {
        self.name = name
        self.values = values
        self.location = location
    }
}

/// A non-model object type whose values live inline in a model field.
public struct EmbeddedType: Sendable, Hashable {
    public var name: String
    public var fields: [Field]
    public var location: SourceLocation?
    public init(name: String, fields: [Field], location: SourceLocation? = nil) {
        self.name = name
        self.fields = fields
        self.location = location
    }
    public func field(named name: String) -> Field? { fields.first { $0.name == name } }
}

/// A secondary index (`@index` on a field): hash key `field`, then `sortKeyFields`.
public struct Index: Sendable, Hashable {
    public var name: String
    public var field: String
    public var sortKeyFields: [String]
    /// The generated query, e.g. `commentsByPost`; `nil` for an index without a query.
    public var queryField: String?
    public var location: SourceLocation?

    public init(name: String, field: String, sortKeyFields: [String] = [], queryField: String? = nil, location: SourceLocation? = nil) {
        self.name = name
        self.field = field
        self.sortKeyFields = sortKeyFields
        self.queryField = queryField
        self.location = location
    }
}

/// One `@auth` rule (ARCHITECTURE §2). Rules are OR-ed; no rule means deny.
public struct AuthRule: Sendable, Hashable {
    public enum Allow: String, Sendable, Hashable {
        case owner, groups, `private`, `public`
    }
    public enum Operation: String, Sendable, Hashable, CaseIterable {
        case create, read, update, delete
    }

    public var allow: Allow
    /// For `owner`: the field holding the owner id(s); default `owner`.
    public var ownerField: String?
    /// For static `groups`.
    public var groups: [String]
    /// For dynamic groups: the field naming the group(s).
    public var groupsField: String?
    /// The operations this rule grants; all four when not given.
    public var operations: Set<Operation>
    /// Amplify's `provider:` as written (`apiKey`, `iam`, `userPools` …); nil when not given.
    /// For `public`, `iam` and `identityPool` mean guests (Amplify's unauthenticated role):
    /// callers without a user token, with or without an API key.
    public var provider: String?
    public var location: SourceLocation?

    public init(
        allow: Allow,
        ownerField: String? = nil,
        groups: [String] = [],
        groupsField: String? = nil,
        operations: Set<Operation> = Set(Operation.allCases),
        provider: String? = nil,
        location: SourceLocation? = nil
    ) {
        self.allow = allow
        self.ownerField = ownerField
        self.groups = groups
        self.groupsField = groupsField
        self.operations = operations
        self.provider = provider
        self.location = location
    }

    /// A `public` rule for guests (`provider: iam` or `identityPool`) rather than API keys.
    public var admitsGuests: Bool {
        allow == .public && (provider == "iam" || provider == "identityPool")
    }
}
