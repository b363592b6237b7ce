import Foundation
import Logging
import TideModel
import TideSQLite
import TideStore

/// `sqlitebench [--records N] [--reads N] [--rounds N] [--only raw|store]`: seeds a store with N
/// notes, then times random point reads by id, two ways on the same file: a cached statement on
/// a pooled read connection through TideSQLite (`raw`), and `Store.get` (`store`: the same read
/// plus checks and decoding into a `Record`). Prints the median of the rounds in CPU ns per read.
/// `--only` runs one of the two (e.g. to count instructions under callgrind).
struct Options {
    var records = 10_000
    var reads = 200_000
    var rounds = 5
    var only: String?

    static let usage = "usage: sqlitebench [--records N] [--reads N] [--rounds N] [--only raw|store]"

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard let text = iterator.next() else { fail(Self.usage) }
            if argument == "--only" {
                guard text == "raw" || text == "store" else { fail(Self.usage) }
                only = text
                continue
            }
            guard let value = Int(text), value > 0 else { fail(Self.usage) }
            switch argument {
            case "--records": records = value
            case "--reads": reads = value
            case "--rounds": rounds = value
            default: fail(Self.usage)
            }
        }
    }

    func runs(_ name: String) -> Bool { only == nil || only == name }
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

/// The calling thread's CPU time in ns: on a shared machine, wall time would also count the
/// time spent waiting for a core.
func threadCPUNanoseconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) * 1e9 + Double(time.tv_nsec)
}

/// Runs `body` once per read and returns the median over the rounds, in CPU ns per read.
func measure(_ options: Options, ids: [String], _ body: (String) throws -> Void) rethrows -> Double {
    var perRead: [Double] = []
    for _ in 0..<options.rounds {
        let start = threadCPUNanoseconds()
        for i in 0..<options.reads { try body(ids[i % ids.count]) }
        perRead.append((threadCPUNanoseconds() - start) / Double(options.reads))
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
let raw = !options.runs("raw") ? nil : try measure(options, ids: ids) { id in
    let row = try readers.withReader { connection throws(SQLiteError) in
        try connection.queryFirst(sql, [.text(id)]) { row in
            (row.text(0), row.int64(1), row.text(2), row.text(3), row.int64(4), row.int64(5), row.text(6))
        }
    }
    checksum &+= Int(row?.1 ?? 0)
}
let get = !options.runs("store") ? nil : try measure(options, ids: ids) { id in
    checksum &+= Int(try store.get(model: "Note", id: id)?.version ?? 0)
}
store.close()

print("records \(options.records), reads per round \(options.reads), rounds \(options.rounds) (median CPU ns per read)")
if let raw { print(String(format: "raw    cached statement, pooled connection (TideSQLite)  %8.0f ns", raw)) }
if let get { print(String(format: "store  Store.get                                         %8.0f ns", get)) }
if checksum == 0 { print("(no rows read)") }

func configurationPath(_ directory: String) -> String { StoreConfiguration(directory: directory).databasePath }
