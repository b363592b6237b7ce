import TideModel
import TideSQLite

/// A secondary index as queries use it.
struct IndexPlan: Sendable, Hashable {
    let name: String
    let sqlName: String
    let hash: ColumnRef
    let sortKeys: [ColumnRef]
}

/// Everything the store needs to know about one model, computed once at open: columns,
/// filterable fields, indexes and the SQL text of the hot statements. A class: every read and
/// write looks its table up, and a copy of this many fields would cost one retain each.
final class ModelTable: Sendable {
    let model: ModelType
    var name: String { model.name }
    /// `m_<Model>`, quoted.
    let table: String
    let tableName: String
    /// Fields with their own column, in declaration order (not `id` nor managed timestamps).
    let fields: [FieldColumn]
    let fieldIndex: [String: Int]
    /// Names a filter may use, with their columns.
    let filterColumns: [String: ColumnRef]
    /// The same columns sorted by name: the keys of a change-feed image in the order it is written.
    let imageColumns: [ColumnRef]
    /// When a record expires (models with a `@ttl` field).
    let expiry: ExpiryRule?
    let indexes: [IndexPlan]
    /// Index definitions the migrator keeps in place: name and exact `CREATE INDEX` text.
    let indexDefinitions: [(name: String, sql: String)]
    /// The AUTOMERGE rules for this model's fields, used on a stale update that asks for them.
    let merger: AutoMerge

    // Statement text of the write path and point reads.
    let selectColumns: String
    let selectByID: String
    let existsByID: String
    let insert: String
    let update: String
    let selectExpired: String?
    let purgeTombstones: String

    static let metaColumnCount = MetaColumn.allCases.count
    static let reservedColumnNames: Set<String> = ["id", "_version", "_deleted", "_lastChangedAt", "createdAt", "updatedAt"]

    /// Builds the table description; `problems` collects what the store cannot accept.
    init(model: ModelType, schema: AppSchema, problems: inout [String]) {
        self.model = model
        merger = AutoMerge(model: model, schema: schema)
        tableName = "m_\(model.name)"
        table = SQL.quote(tableName)

        var fields: [FieldColumn] = []
        var filterColumns: [String: ColumnRef] = [:]
        func meta(_ column: MetaColumn, as name: String) {
            filterColumns[name] = ColumnRef(
                name: name, sql: SQL.quote(column.columnName), kind: column.kind, nullable: false, source: .meta(column))
        }
        meta(.id, as: Record.MetaField.id)
        meta(.version, as: Record.MetaField.version)
        meta(.deleted, as: Record.MetaField.deleted)
        meta(.lastChangedAt, as: Record.MetaField.lastChangedAt)
        if let name = model.createdAtField { meta(.createdAt, as: name) }
        if let name = model.updatedAtField { meta(.updatedAt, as: name) }

        for field in model.fields {
            if field.name == "id" || field.name == model.createdAtField || field.name == model.updatedAtField { continue }
            if Self.reservedColumnNames.contains(field.name) || filterColumns[field.name] != nil {
                problems.append("\(model.name).\(field.name): the name is reserved for the store's metadata")
                continue
            }
            let column = FieldColumn(field, schema: schema)
            filterColumns[field.name] = ColumnRef(
                name: field.name, sql: column.quoted, kind: column.kind, nullable: true, source: .field(fields.count))
            fields.append(column)
        }
        self.fields = fields
        self.fieldIndex = Dictionary(uniqueKeysWithValues: fields.enumerated().map { ($1.name, $0) })
        self.filterColumns = filterColumns
        imageColumns = filterColumns.values.sorted { $0.name < $1.name }

        if let ttlName = model.ttlField {
            if let index = fieldIndex[ttlName], fields[index].kind == .integer, let column = filterColumns[ttlName] {
                expiry = ExpiryRule(column: column, fieldIndex: index)
            } else {
                problems.append("\(model.name).\(ttlName): the @ttl field must be an AWSTimestamp or Int field of the model")
                expiry = nil
            }
        } else {
            expiry = nil
        }

        var indexes: [IndexPlan] = []
        var definitions: [(name: String, sql: String)] = []
        for index in model.indexes {
            let keyNames = [index.field] + index.sortKeyFields
            let keys = keyNames.compactMap { filterColumns[$0] }
            guard keys.count == keyNames.count else {
                let missing = keyNames.filter { filterColumns[$0] == nil }.joined(separator: ", ")
                problems.append("\(model.name).\(index.field): @index '\(index.name)' names unknown fields: \(missing)")
                continue
            }
            let sqlName = "ix_\(model.name)_\(index.name)"
            indexes.append(IndexPlan(name: index.name, sqlName: sqlName, hash: keys[0], sortKeys: Array(keys.dropFirst())))
            let columns = (keys.map(\.sql) + ["\"id\""]).joined(separator: ", ")
            definitions.append((sqlName, "CREATE INDEX \(SQL.quote(sqlName)) ON \(table)(\(columns))"))
        }
        self.indexes = indexes
        if let expiry {
            let sqlName = "ttl_\(model.name)"
            definitions.append((sqlName, "CREATE INDEX \(SQL.quote(sqlName)) ON \(table)(\(expiry.column.sql)) WHERE \"_deleted\" = 0"))
        }
        let changed = "lca_\(model.name)"
        definitions.append((changed, "CREATE INDEX \(SQL.quote(changed)) ON \(table)(\"_lastChangedAt\")"))
        let tombstones = "tomb_\(model.name)"
        definitions.append((tombstones, "CREATE INDEX \(SQL.quote(tombstones)) ON \(table)(\"_lastChangedAt\") WHERE \"_deleted\" = 1"))
        indexDefinitions = definitions

        let allColumns = MetaColumn.allCases.map { SQL.quote($0.columnName) } + fields.map(\.quoted)
        selectColumns = allColumns.joined(separator: ", ")
        selectByID = "SELECT \(selectColumns) FROM \(table) WHERE \"id\" = ?"
        existsByID = "SELECT 1 FROM \(table) WHERE \"id\" = ?"
        insert = "INSERT INTO \(table)(\(selectColumns)) VALUES (\(SQL.placeholders(allColumns.count)))"
        let assignments = (["\"_version\"", "\"_deleted\"", "\"_lastChangedAt\"", "\"updatedAt\""] + fields.map(\.quoted))
            .map { "\($0) = ?" }.joined(separator: ", ")
        update = "UPDATE \(table) SET \(assignments) WHERE \"id\" = ?"
        if let expiry {
            selectExpired = """
                SELECT \(selectColumns) FROM \(table) WHERE "_deleted" = 0 AND \(expiry.expiredCondition) \
                ORDER BY \(expiry.column.sql) LIMIT ?
                """
        } else {
            selectExpired = nil
        }
        purgeTombstones = """
            DELETE FROM \(table) WHERE "id" IN \
            (SELECT "id" FROM \(table) WHERE "_deleted" = 1 AND "_lastChangedAt" < ? LIMIT ?)
            """
    }

    func index(named name: String) -> IndexPlan? { indexes.first { $0.name == name } }

    /// A record's values as filters and feed images see them.
    func values(of record: Record) -> [String: JSONValue] {
        record.values(createdAtField: model.createdAtField, updatedAtField: model.updatedAtField)
    }

    /// A record as a change-feed image: the JSON text of ``values(of:)`` (sorted keys, unset
    /// fields left out), written column by column in a precomputed order.
    func image(of record: Record) -> String {
        var writer = JSONWriter(capacity: 256)
        writer.raw("{")
        var first = true
        for column in imageColumns {
            let value = column.value(in: record)
            if value.isNull { continue }
            if !first { writer.raw(",") }
            first = false
            writer.key(column.name)
            writer.write(value)
        }
        writer.raw("}")
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// SQL `CREATE TABLE` for a new table with every current column.
    var createTableSQL: String {
        let columns = MetaColumn.allCases.map(\.definition) + fields.map { "\($0.quoted) \($0.kind.sqlType)" }
        return "CREATE TABLE \(table)(\(columns.joined(separator: ", ")))"
    }
}
