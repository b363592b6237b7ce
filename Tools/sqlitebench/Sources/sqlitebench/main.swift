import Foundation
import Logging
import TideModel
import TideSQLite
import TideStore

/// `sqlitebench [--records N] [--reads N] [--rounds N]`: seeds a store with N notes, then times
/// random point reads by id, two ways on the same file: a cached statement on a pooled
/// read connection through TideSQLite (`raw`), and `Store.get` (`store`: the same read plus
/// checks and decoding into a `Record`). Prints the median of the rounds in ns per read.
struct Options {
    var records = 10_000
    var reads = 200_000
    var rounds = 5

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard let value = iterator.next().flatMap(Int.init), value > 0 else {
                fail("usage: sqlitebench [--records N] [--reads N] [--rounds N] (positive integers)")
            }
            switch argument {
            case "--records": records = value
            case "--reads": reads = value
            case "--rounds": rounds = value
            default: fail("unknown option \(argument)")
            }
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

let schema = AppSchema(models: [
    ModelType(
        name: "Note", pluralName: "Notes",
        fields: [
            Field(name: "id", type: FieldType(base: .scalar(.id), isRequired: true)),
            Field(name: "title", type: FieldType(base: .scalar(.string), isRequired: true)),
            Field(name: "content", type: FieldType(base: .scalar(.string))),
            Field(name: "priority", type: FieldType(base: .scalar(.int))),
            Field(name: "done", type: FieldType(base: .scalar(.boolean))),
            Field(name: "tags", type: FieldType(base: .scalar(.string), isList: true)),
        ])
])

/// Runs `body` once per read and returns the median over the rounds, in ns per read.
func measure(_ options: Options, ids: [String], _ body: (String) throws -> Void) rethrows -> Double {
    var perRead: [Double] = []
    for _ in 0..<options.rounds {
        let start = ContinuousClock.now
        for i in 0..<options.reads { try body(ids[i % ids.count]) }
        let elapsed = ContinuousClock.now - start
        let nanos = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        perRead.append(nanos / Double(options.reads))
    }
    return perRead.sorted()[perRead.count / 2]
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
let directory = NSTemporaryDirectory() + "sqlitebench-" + UUID().uuidString
defer { try? FileManager.default.removeItem(atPath: directory) }
var logger = Logger(label: "sqlitebench")
logger.logLevel = .warning

let store = try Store(
    schema: schema, configuration: StoreConfiguration(directory: directory, durability: .normal), logger: logger)
var ids: [String] = []
for i in 0..<options.records {
    let record = try await store.create(
        model: "Note", id: nil,
        values: ["title": .string("Note \(i)"), "content": .string(String(repeating: "x", count: 200)), "priority": .int(Int64(i % 5)),
                 "done": .bool(i % 2 == 0), "tags": .array([.string("a"), .string("b")])],
        condition: nil, actor: "bench")
    ids.append(record.id)
}
var generator = SystemRandomNumberGenerator()
ids.shuffle(using: &generator)

let readers = ReaderPool(path: configurationPath(directory), capacity: 4, busyTimeoutMilliseconds: 5_000, logger: logger)
defer { readers.closeAll() }
let sql = "SELECT \"id\", \"_version\", \"title\", \"content\", \"priority\", \"done\", \"tags\" FROM \"m_Note\" WHERE \"id\" = ?"
var checksum = 0
let raw = try measure(options, ids: ids) { id in
    let row = try readers.withReader { connection throws(SQLiteError) in
        try connection.queryFirst(sql, [.text(id)]) { row in
            (row.text(0), row.int64(1), row.text(2), row.text(3), row.int64(4), row.int64(5), row.text(6))
        }
    }
    checksum &+= Int(row?.1 ?? 0)
}
let get = try measure(options, ids: ids) { id in
    checksum &+= Int(try store.get(model: "Note", id: id)?.version ?? 0)
}
store.close()

print("records \(options.records), reads per round \(options.reads), rounds \(options.rounds) (median ns per read)")
print(String(format: "raw    cached statement, pooled connection (TideSQLite)  %8.0f ns", raw))
print(String(format: "store  Store.get                                         %8.0f ns", get))
if checksum == 0 { print("(no rows read)") }

func configurationPath(_ directory: String) -> String { StoreConfiguration(directory: directory).databasePath }
