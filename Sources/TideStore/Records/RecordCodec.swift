import Foundation
import TideModel
import TideSQLite

/// One stored row: the metadata columns and the model's field columns (`.null` for NULL).
struct StoredRow: Sendable {
    var id: String
    var version: Int64
    var deleted: Bool
    var lastChangedAt: Int64
    var createdAt: String
    var updatedAt: String
    /// By index into ``ModelTable/fields``.
    var values: [JSONValue]

    func record(_ table: ModelTable) -> Record {
        var fields: [String: JSONValue] = [:]
        fields.reserveCapacity(values.count)
        for (i, value) in values.enumerated() where !value.isNull { fields[table.fields[i].name] = value }
        return Record(
            id: id, version: version, deleted: deleted, lastChangedAt: lastChangedAt,
            createdAt: createdAt, updatedAt: updatedAt, fields: fields)
    }
}

/// Row ↔ record conversion and input validation for one model.
enum RecordCodec {
    // MARK: Input

    /// A random (version 4) UUID in lower case, the form Amplify clients generate.
    static func newID() -> String {
        // On every create: Foundation's UUID() opens, reads and closes /dev/urandom each time,
        // where arc4random_buf is one getrandom call; and its uuidString.lowercased() builds
        // the string twice.
        var bytes = [UInt8](repeating: 0, count: 16)
        arc4random_buf(&bytes, bytes.count)
        bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
        bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 9562 variant
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var i = 0
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    buffer[i] = UInt8(ascii: "-")
                    i += 1
                }
                buffer[i] = JSONWriter.hexDigits[Int(byte >> 4)]
                buffer[i + 1] = JSONWriter.hexDigits[Int(byte & 0x0F)]
                i += 2
            }
            return i
        }
    }

    /// Validates a record id: non-empty, at most 128 characters, no control characters.
    static func validateID(_ id: String) throws(StoreError) {
        let utf8 = id.utf8
        guard !utf8.isEmpty else { throw .invalidValue(field: "id", reason: "must not be empty") }
        // Runs on every write: count characters only when the bytes could be too many.
        guard utf8.count <= 128 || id.count <= 128 else {
            throw .invalidValue(field: "id", reason: "must be at most 128 characters")
        }
        // Control characters (category Cc) are U+0000–U+001F and U+007F–U+009F; in UTF-8 the
        // last range is 0xC2 followed by 0x80–0x9F.
        var previous: UInt8 = 0
        for byte in utf8 {
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(byte)) {
                throw .invalidValue(field: "id", reason: "must not contain control characters")
            }
            previous = byte
        }
    }

    /// Checks and canonicalises input values: the result pairs field indexes with values of the
    /// column's JSON kind (Float given as an integer becomes a double), in index order.
    static func normalize(_ values: [String: JSONValue], for table: ModelTable) throws(StoreError) -> [(Int, JSONValue)] {
        var result: [(Int, JSONValue)] = []
        result.reserveCapacity(values.count)
        for (name, value) in values {
            guard let index = table.fieldIndex[name] else {
                if table.filterColumns[name] != nil || name == "id" {
                    throw .invalidValue(field: name, reason: "is managed by the store")
                }
                throw .invalidValue(field: name, reason: "is not a field of \(table.name)")
            }
            let column = table.fields[index]
            if value.isNull {
                guard !column.isRequired else { throw .invalidValue(field: name, reason: "must not be null") }
                result.append((index, .null))
            } else {
                result.append((index, try normalize(value, column)))
            }
        }
        result.sort { $0.0 < $1.0 }
        return result
    }

    /// Fields declared non-null that a new record lacks.
    static func checkRequired(_ row: [JSONValue], for table: ModelTable) throws(StoreError) {
        for (i, column) in table.fields.enumerated() where column.isRequired && row[i].isNull {
            throw .invalidValue(field: column.name, reason: "is required")
        }
    }

    static func normalize(_ value: JSONValue, _ column: FieldColumn) throws(StoreError) -> JSONValue {
        guard column.isList else { return try normalizeItem(value, column, context: column.name) }
        guard case .array(let items) = value else {
            throw .invalidValue(field: column.name, reason: "expected a list, got \(kindName(value))")
        }
        var out: [JSONValue] = []
        out.reserveCapacity(items.count)
        for item in items {
            if item.isNull {
                guard !column.isItemRequired else { throw .invalidValue(field: column.name, reason: "list items must not be null") }
                out.append(.null)
            } else {
                out.append(try normalizeItem(item, column, context: column.name))
            }
        }
        return .array(out)
    }

    private static func normalizeItem(_ value: JSONValue, _ column: FieldColumn, context: String) throws(StoreError) -> JSONValue {
        switch (column.shape, value) {
        case (.string, .string), (.integer, .int), (.float, .double), (.boolean, .bool), (.object, .object):
            return value
        case (.float, .int(let i)):
            return .double(Double(i))
        case (.enumeration(let allowed), .string(let s)):
            if let allowed, !allowed.contains(s) {
                throw .invalidValue(field: context, reason: "'\(s)' is not a value of the enum")
            }
            return value
        default:
            throw .invalidValue(field: context, reason: "expected \(expected(column.shape)), got \(kindName(value))")
        }
    }

    private static func expected(_ shape: ValueShape) -> String {
        switch shape {
        case .string: "a string"
        case .enumeration: "an enum value (string)"
        case .integer: "an integer"
        case .float: "a number"
        case .boolean: "a Boolean"
        case .object: "an object"
        }
    }

    static func kindName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a Boolean"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .string: "a string"
        case .array: "a list"
        case .object: "an object"
        }
    }

    // MARK: Binding

    /// The SQL value for a normalized field value.
    static func binding(_ value: JSONValue, kind: ColumnKind) -> SQLBinding {
        switch value {
        case .null: return .null
        case .bool(let b): return .int(b ? 1 : 0)
        case .int(let i): return kind == .real ? .double(Double(i)) : .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return kind == .list || kind == .object ? .text(value.jsonString) : .text(s)
        case .array, .object: return .text(value.jsonString)
        }
    }

    /// Binds a full row in the column order of ``ModelTable/insert``.
    static func insertBindings(_ row: StoredRow, _ table: ModelTable) -> [SQLBinding] {
        var out: [SQLBinding] = [
            .text(row.id), .int(row.version), .int(row.deleted ? 1 : 0), .int(row.lastChangedAt),
            .text(row.createdAt), .text(row.updatedAt),
        ]
        out.reserveCapacity(out.count + row.values.count)
        for (i, value) in row.values.enumerated() { out.append(binding(value, kind: table.fields[i].kind)) }
        return out
    }

    /// Binds a full row in the order of ``ModelTable/update``.
    static func updateBindings(_ row: StoredRow, _ table: ModelTable) -> [SQLBinding] {
        var out: [SQLBinding] = [.int(row.version), .int(row.deleted ? 1 : 0), .int(row.lastChangedAt), .text(row.updatedAt)]
        out.reserveCapacity(out.count + row.values.count + 1)
        for (i, value) in row.values.enumerated() { out.append(binding(value, kind: table.fields[i].kind)) }
        out.append(.text(row.id))
        return out
    }

    // MARK: Output

    /// Decodes a row selected with ``ModelTable/selectColumns``.
    static func decode(_ statement: Statement, _ table: ModelTable) -> StoredRow {
        var values: [JSONValue] = []
        values.reserveCapacity(table.fields.count)
        for (i, column) in table.fields.enumerated() {
            values.append(decodeValue(statement, Int32(ModelTable.metaColumnCount + i), kind: column.kind))
        }
        return StoredRow(
            id: statement.text(0), version: statement.int64(1), deleted: statement.int64(2) != 0,
            lastChangedAt: statement.int64(3), createdAt: statement.text(4), updatedAt: statement.text(5),
            values: values)
    }

    static func decodeValue(_ statement: Statement, _ column: Int32, kind: ColumnKind) -> JSONValue {
        if statement.isNull(column) { return .null }
        switch kind {
        case .text: return .string(statement.text(column))
        case .integer: return .int(statement.int64(column))
        case .real: return .double(statement.double(column))
        case .boolean: return .bool(statement.int64(column) != 0)
        case .list, .object:
            return statement.withTextBytes(column) { bytes in
                (try? JSONParser.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
            }
        }
    }
}
