import TideModel
import TideSQLite

/// How a value is stored in SQLite.
enum ColumnKind: Sendable, Hashable {
    /// TEXT holding a string (String, ID, enums, AWS string scalars, AWSJSON).
    case text
    /// INTEGER (Int, AWSTimestamp).
    case integer
    /// REAL (Float).
    case real
    /// INTEGER 0/1 (Boolean).
    case boolean
    /// TEXT holding a JSON array.
    case list
    /// TEXT holding a JSON object (an embedded type).
    case object

    var sqlType: String {
        switch self {
        case .text, .list, .object: "TEXT"
        case .integer, .boolean: "INTEGER"
        case .real: "REAL"
        }
    }

    var isNumeric: Bool { self == .integer || self == .real }
}

/// The JSON kind a field accepts (for a list: each item).
enum ValueShape: Sendable, Hashable {
    case string
    /// An enum's values (nil when the enum is not declared in the schema: any string).
    case enumeration(Set<String>?)
    case integer
    case float
    case boolean
    case object

    init(_ base: BaseType, schema: AppSchema) {
        switch base {
        case .scalar(let scalar):
            switch scalar {
            case .int, .awsTimestamp: self = .integer
            case .float: self = .float
            case .boolean: self = .boolean
            case .id, .string, .awsDateTime, .awsDate, .awsTime, .awsJSON, .awsEmail, .awsPhone, .awsURL, .awsIPAddress:
                self = .string
            }
        case .enumeration(let name): self = .enumeration(schema.enumType(named: name).map { Set($0.values) })
        case .embedded: self = .object
        }
    }

    var columnKind: ColumnKind {
        switch self {
        case .string, .enumeration: .text
        case .integer: .integer
        case .float: .real
        case .boolean: .boolean
        case .object: .object
        }
    }
}

/// A model field with its own column.
struct FieldColumn: Sendable, Hashable {
    /// The GraphQL field name, also the column name.
    let name: String
    let quoted: String
    let kind: ColumnKind
    let shape: ValueShape
    let isList: Bool
    let isRequired: Bool
    let isItemRequired: Bool
    /// The declared type without nullability (`String`, `[Tag]`), as recorded by migrations.
    let typeName: String

    init(_ field: Field, schema: AppSchema) {
        name = field.name
        quoted = SQL.quote(field.name)
        shape = ValueShape(field.type.base, schema: schema)
        isList = field.type.isList
        kind = isList ? .list : shape.columnKind
        isRequired = field.type.isRequired
        isItemRequired = field.type.isItemRequired
        typeName = Self.typeName(field.type)
    }

    static func typeName(_ type: FieldType) -> String {
        FieldType(base: type.base, isList: type.isList).description
    }
}

/// The store's metadata columns of every model table, in column order: one per property of
/// ``Record/Meta``.
typealias MetaColumn = Record.Meta

extension MetaColumn {
    var columnName: String {
        switch self {
        case .id: "id"
        case .version: "_version"
        case .deleted: "_deleted"
        case .lastChangedAt: "_lastChangedAt"
        case .createdAt: "createdAt"
        case .updatedAt: "updatedAt"
        }
    }

    var kind: ColumnKind {
        switch self {
        case .id, .createdAt, .updatedAt: .text
        case .version, .lastChangedAt: .integer
        case .deleted: .boolean
        }
    }

    var definition: String {
        switch self {
        case .id: "\"id\" TEXT PRIMARY KEY NOT NULL"
        case .version: "\"_version\" INTEGER NOT NULL"
        case .deleted: "\"_deleted\" INTEGER NOT NULL DEFAULT 0"
        case .lastChangedAt: "\"_lastChangedAt\" INTEGER NOT NULL"
        case .createdAt: "\"createdAt\" TEXT NOT NULL"
        case .updatedAt: "\"updatedAt\" TEXT NOT NULL"
        }
    }
}

/// A column as filters, orderings and cursors see it.
struct ColumnRef: Sendable, Hashable {
    enum Source: Sendable, Hashable {
        case meta(MetaColumn)
        /// Index into ``ModelTable/fields``.
        case field(Int)
    }

    /// The GraphQL name (for a managed timestamp, the model's `createdAtField`/`updatedAtField`).
    let name: String
    /// The quoted column name.
    let sql: String
    let kind: ColumnKind
    let nullable: Bool
    let source: Source

    /// The column's value in a record, `.null` when absent.
    func value(in record: Record) -> JSONValue {
        switch source {
        case .meta(let meta): record.value(of: meta)
        case .field: record.fields[name] ?? .null
        }
    }
}
