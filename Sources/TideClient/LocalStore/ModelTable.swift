import GRDB
import TideModel

/// How one model is laid out in the local SQLite file: one row per record, keyed by id (a
/// `WITHOUT ROWID` table: base syncs arrive in id order, so inserts append), the server's
/// metadata in `$`-prefixed columns (no GraphQL name contains `$`), then one typed column per
/// field, so filters and sorts can run in SQL over indexes.
///
/// A deleted record stays as a tombstone (`$deleted` = 1) with its version, so an older event
/// arriving late cannot bring it back; reads skip tombstones.
struct ModelTable: Sendable {
    /// How a field's values are stored.
    enum Kind: String, Sendable {
        case text, integer, real, boolean
        /// Lists and embedded objects, as JSON text.
        case json

        init(_ type: FieldType) {
            if type.isList { self = .json; return }
            switch type.base {
            case .embedded: self = .json
            case .enumeration: self = .text
            case .scalar(let scalar):
                switch scalar {
                case .int, .awsTimestamp: self = .integer
                case .float: self = .real
                case .boolean: self = .boolean
                default: self = .text
                }
            }
        }

        var affinity: String {
            switch self {
            case .text, .json: "TEXT"
            case .integer, .boolean: "INTEGER"
            case .real: "REAL"
            }
        }
    }

    struct Column: Sendable {
        let field: String
        let kind: Kind
    }

    static let metaColumns = ["id", "$version", "$deleted", "$lastChangedAt", "$createdAt", "$updatedAt", "$pending"]
    /// Row positions of the metadata columns in every select.
    enum Position {
        static let id = 0, version = 1, deleted = 2, lastChangedAt = 3, createdAt = 4, updatedAt = 5, pending = 6
        static let firstField = 7
    }

    let model: ModelType
    let tableName: String
    let columns: [Column]
    /// `name:kind` per column: a change means the table is rebuilt.
    let signature: String

    let createSQL: String
    let indexSQL: [String]
    /// Selects every column in layout order; a query appends its WHERE/ORDER BY.
    let selectSQL: String
    let selectByIDSQL: String
    /// Inserts a server record, or replaces an older copy without local writes.
    let upsertServerSQL: String
    /// Writes a row whatever is there (a record recomputed from its server copy and local writes).
    let replaceSQL: String
    let deleteSQL: String

    init(model: ModelType, extraIndexes: [[String]]) {
        self.model = model
        tableName = "records_\(model.name)"
        columns = model.fields.filter { $0.name != "id" }.map { Column(field: $0.name, kind: Kind($0.type)) }
        signature = columns.map { "\($0.field):\($0.kind.rawValue)" }.joined(separator: ",")
        let table = Self.quote(tableName)
        let fieldColumns = columns.map { "\(Self.quote($0.field)) \($0.kind.affinity)" }
        createSQL = """
            CREATE TABLE IF NOT EXISTS \(table) (id TEXT PRIMARY KEY NOT NULL, "$version" INTEGER, \
            "$deleted" INTEGER NOT NULL DEFAULT 0, "$lastChangedAt" INTEGER, "$createdAt" TEXT, "$updatedAt" TEXT, \
            "$pending" INTEGER NOT NULL DEFAULT 0\(fieldColumns.map { ", " + $0 }.joined())) WITHOUT ROWID
            """
        let allNames = Self.metaColumns + columns.map(\.field)
        let list = allNames.map(Self.quote).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: allNames.count).joined(separator: ", ")
        selectSQL = "SELECT \(list) FROM \(table)"
        selectByIDSQL = "\(selectSQL) WHERE id = ?"
        let updates = allNames.dropFirst().map { "\(Self.quote($0)) = excluded.\(Self.quote($0))" }.joined(separator: ", ")
        upsertServerSQL = """
            INSERT INTO \(table) (\(list)) VALUES (\(placeholders)) ON CONFLICT(id) DO UPDATE SET \(updates) \
            WHERE \(table)."$pending" = 0 AND (\(table)."$version" IS NULL OR \(table)."$version" < excluded."$version")
            """
        replaceSQL = "INSERT OR REPLACE INTO \(table) (\(list)) VALUES (\(placeholders))"
        deleteSQL = "DELETE FROM \(table) WHERE id = ?"

        var indexes: [String] = []
        var indexNames: [String] = []
        for index in model.indexes {
            indexNames.append(index.name)
            indexes.append(Self.indexSQL(table: tableName, name: index.name, fields: [index.field] + index.sortKeyFields, model: model))
        }
        for fields in extraIndexes {
            let name = "local_" + fields.joined(separator: "_")
            guard !indexNames.contains(name) else { continue }
            indexNames.append(name)
            indexes.append(Self.indexSQL(table: tableName, name: name, fields: fields, model: model))
        }
        indexSQL = indexes
    }

    static func quote(_ name: String) -> String { "\"\(name)\"" }

    private static func indexSQL(table: String, name: String, fields: [String], model: ModelType) -> String {
        let columns = fields.map { quote(column(for: $0, model: model) ?? $0) }.joined(separator: ", ")
        return "CREATE INDEX IF NOT EXISTS \(quote("idx_\(table)_\(name)")) ON \(quote(table)) (\(columns))"
    }

    /// The column holding a value filters and sorts name by its GraphQL name; nil for a name the
    /// model does not have.
    static func column(for name: String, model: ModelType) -> String? {
        switch name {
        case Record.MetaField.id: return "id"
        case Record.MetaField.version: return "$version"
        case Record.MetaField.lastChangedAt: return "$lastChangedAt"
        case model.createdAtField: return "$createdAt"
        case model.updatedAtField: return "$updatedAt"
        default: return model.field(named: name) == nil ? nil : name
        }
    }

    /// The storage kind of the column a GraphQL name maps to (metadata included).
    func kind(of name: String) -> Kind? {
        switch name {
        case Record.MetaField.id: return .text
        case Record.MetaField.version, Record.MetaField.lastChangedAt: return .integer
        case model.createdAtField, model.updatedAtField: return .text
        default: return columns.first { $0.field == name }?.kind
        }
    }

    // MARK: Encoding

    /// A value as SQLite stores it.
    enum StoredValue {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
    }

    static func encode(_ value: JSONValue, _ kind: Kind) -> StoredValue {
        switch (value, kind) {
        case (.null, _): return .null
        case (.string(let s), .text): return .text(s)
        case (.int(let i), .integer), (.int(let i), .boolean): return .integer(i)
        case (.int(let i), .real): return .real(Double(i))
        case (.double(let d), .real), (.double(let d), .integer): return .real(d)
        case (.bool(let b), .boolean), (.bool(let b), .integer): return .integer(b ? 1 : 0)
        default: return .text(value.jsonString)
        }
    }

    static func decode(_ value: DatabaseValue, _ kind: Kind) -> JSONValue {
        switch value.storage {
        case .null: return .null
        case .int64(let i):
            switch kind {
            case .boolean: return .bool(i != 0)
            case .real: return .double(Double(i))
            default: return .int(i)
            }
        case .double(let d): return .double(d)
        case .string(let s):
            if kind == .json, let parsed = try? JSONParser.parse(s) { return parsed }
            return .string(s)
        case .blob(let data): return .string(String(decoding: data, as: UTF8.self))
        }
    }

    // MARK: Decoding

    /// A row as the app sees it, or nil for a tombstone.
    func clientRecord(_ row: Row) -> ClientRecord? {
        let stored = storedRow(row)
        guard !stored.deleted else { return nil }
        return ClientRecord(model: model.name, values: stored.values, hasPendingChanges: stored.pending)
    }

    /// Everything a row holds.
    struct StoredRow {
        var id: String
        var version: Int64?
        var deleted: Bool
        var pending: Bool
        /// By GraphQL name, metadata included (`_deleted` false: a visible record).
        var values: [String: JSONValue]
    }

    func storedRow(_ row: Row) -> StoredRow {
        var values: [String: JSONValue] = [:]
        values.reserveCapacity(columns.count + 6)
        let id: String = row[Position.id]
        let version: Int64? = row[Position.version]
        let deleted: Int64 = row[Position.deleted]
        let pending: Int64 = row[Position.pending]
        values[Record.MetaField.id] = .string(id)
        values[Record.MetaField.deleted] = .bool(false)
        if let version { values[Record.MetaField.version] = .int(version) }
        if let changed: Int64 = row[Position.lastChangedAt] { values[Record.MetaField.lastChangedAt] = .int(changed) }
        if let createdField = model.createdAtField, let created: String = row[Position.createdAt] { values[createdField] = .string(created) }
        if let updatedField = model.updatedAtField, let updated: String = row[Position.updatedAt] { values[updatedField] = .string(updated) }
        for (offset, column) in columns.enumerated() {
            let value = Self.decode(row[Position.firstField + offset] as DatabaseValue, column.kind)
            if !value.isNull { values[column.field] = value }
        }
        return StoredRow(id: id, version: version, deleted: deleted != 0, pending: pending != 0, values: values)
    }

    /// The model's own fields of a values dictionary (no id, no metadata).
    func fields(of values: [String: JSONValue]) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [:]
        for column in columns { if let value = values[column.field] { fields[column.field] = value } }
        return fields
    }

    /// A synced row as a server record (the server copy kept while local writes wait).
    func record(_ stored: StoredRow) -> Record? {
        guard let version = stored.version else { return nil }
        return Record(
            id: stored.id, version: version, deleted: stored.deleted,
            lastChangedAt: stored.values[Record.MetaField.lastChangedAt]?.intValue ?? 0,
            createdAt: model.createdAtField.flatMap { stored.values[$0]?.stringValue } ?? "",
            updatedAt: model.updatedAtField.flatMap { stored.values[$0]?.stringValue } ?? "",
            fields: fields(of: stored.values))
    }
}
