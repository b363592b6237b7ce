import Logging
import TideSQLite

/// Brings the database in line with the app schema when the store opens.
///
/// All in one transaction: first every model is checked against the field types recorded in
/// `_model_fields` (a changed type is collected as `Model.field: …` and nothing is touched),
/// then missing tables are created, new fields added with `ALTER TABLE … ADD COLUMN`, and the
/// indexes reconciled with the schema. Removed fields keep their column and their recorded
/// type, so their data survives and re-adding them with another type is refused.
struct SchemaMigrator {
    let connection: Connection
    let tables: [ModelTable]
    let logger: Logger

    func migrate() throws(StoreError) {
        try connection.transaction(.immediate) { connection throws(StoreError) in
            try StoreError.wrapping(StoreMigrations.migrator.apply(to: connection, logger: logger))
            let problems = try StoreError.wrapping(check())
            guard problems.isEmpty else { throw StoreError.incompatibleSchema(problems) }
            for table in tables { try StoreError.wrapping(migrate(table)) }
        }
    }

    /// Recorded types per model and field.
    private func recordedTypes() throws(SQLiteError) -> [String: [String: String]] {
        var types: [String: [String: String]] = [:]
        try connection.query("SELECT \"model\", \"field\", \"type\" FROM \"_model_fields\"") { row in
            types[row.text(0), default: [:]][row.text(1)] = row.text(2)
        }
        return types
    }

    /// Every field whose declared type differs from the recorded one.
    func check() throws(SQLiteError) -> [String] {
        let recorded = try recordedTypes()
        var problems: [String] = []
        for table in tables {
            for field in table.fields {
                if let stored = recorded[table.name]?[field.name], stored != field.typeName {
                    problems.append("\(table.name).\(field.name): type changed from \(stored) to \(field.typeName)")
                }
            }
        }
        return problems
    }

    private func migrate(_ table: ModelTable) throws(SQLiteError) {
        let exists = try connection.queryFirst(
            "SELECT 1 FROM sqlite_master WHERE \"type\" = 'table' AND \"name\" = ?", [.text(table.tableName)]) { _ in true } ?? false
        if !exists {
            logger.notice("creating table", metadata: ["model": "\(table.name)"])
            try connection.execute(table.createTableSQL)
        } else {
            var columns: Set<String> = []
            try connection.query("SELECT \"name\" FROM pragma_table_info(?)", [.text(table.tableName)]) { columns.insert($0.text(0)) }
            for field in table.fields where !columns.contains(field.name) {
                logger.notice("adding column", metadata: ["model": "\(table.name)", "field": "\(field.name)"])
                try connection.execute("ALTER TABLE \(table.table) ADD COLUMN \(field.quoted) \(field.kind.sqlType)")
            }
        }
        for field in table.fields {
            try connection.run(
                """
                INSERT INTO "_model_fields"("model", "field", "type") VALUES (?, ?, ?) \
                ON CONFLICT("model", "field") DO UPDATE SET "type" = excluded."type" WHERE "type" <> excluded."type"
                """,
                [.text(table.name), .text(field.name), .text(field.typeName)])
        }
        try reconcileIndexes(table)
    }

    /// Drops indexes of the table that the schema no longer describes (or describes
    /// differently) and creates the missing ones.
    private func reconcileIndexes(_ table: ModelTable) throws(SQLiteError) {
        var existing: [String: String] = [:]
        try connection.query(
            "SELECT \"name\", \"sql\" FROM sqlite_master WHERE \"type\" = 'index' AND \"tbl_name\" = ? AND \"sql\" IS NOT NULL",
            [.text(table.tableName)]
        ) { existing[$0.text(0)] = $0.text(1) }
        let wanted = Dictionary(table.indexDefinitions.map { ($0.name, $0.sql) }, uniquingKeysWith: { first, _ in first })
        for (name, sql) in existing where wanted[name] != sql {
            logger.notice("dropping index", metadata: ["model": "\(table.name)", "index": "\(name)"])
            try connection.execute("DROP INDEX \(SQL.quote(name))")
        }
        for definition in table.indexDefinitions where existing[definition.name] != definition.sql {
            logger.notice("creating index", metadata: ["model": "\(table.name)", "index": "\(definition.name)"])
            try connection.execute(definition.sql)
        }
    }
}
