import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import TideModel

/// The benchmark's own line to the server, beside the client under test: accounts, the seeding
/// of the records a client then catches up on, and the reference figure (`createTask` from
/// concurrent connections, as an app server would write). Plain GraphQL over HTTP.
final class ServerAPI: Sendable {
    let baseURL: URL
    private let http: HTTPClient

    init(baseURL: URL, connections: Int) {
        self.baseURL = baseURL
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(5), read: .seconds(300)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections))
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    /// `POST path` with a JSON body; the answer's JSON, or a ``BenchError`` naming the status.
    func post(_ path: String, _ body: JSONValue, token: String? = nil) async throws -> (status: Int, json: JSONValue) {
        var request = HTTPClientRequest(url: baseURL.appendingPathComponent(path).absoluteString)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: body.jsonBytes))
        let response = try await http.execute(request, timeout: .seconds(300))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        let status = Int(response.status.code)
        guard let json = try? JSONParser.parse(bytes.readableBytesView) else {
            throw BenchError("POST /\(path) answered \(status) with a body that is not JSON: \(String(buffer: bytes).prefix(200))")
        }
        return (status, json)
    }

    /// Creates the account (a name taken already is an error: every run makes its own user).
    func signUp(username: String, password: String) async throws {
        let (status, json) = try await post("auth/signup", ["username": .string(username), "password": .string(password)])
        guard status == 201 else { throw BenchError("sign-up of \(username) answered \(status): \(json.jsonString)") }
    }

    /// An access token for the user.
    func logIn(username: String, password: String) async throws -> String {
        let (status, json) = try await post("auth/login", ["username": .string(username), "password": .string(password)])
        guard status == 200, let token = json["accessToken"]?.stringValue else {
            throw BenchError("login of \(username) answered \(status): \(json.jsonString)")
        }
        return token
    }

    /// Runs a mutation and checks that every root field answered a record (no `errors`).
    func mutate(_ document: String, variables: JSONValue = [:], token: String, fields: Int) async throws {
        let (status, json) = try await post("graphql", ["query": .string(document), "variables": variables], token: token)
        guard status == 200, json["errors"] == nil, let data = json["data"]?.objectValue, data.count == fields,
            data.values.allSatisfy({ $0["id"]?.stringValue != nil })
        else {
            throw BenchError("a mutation failed (HTTP \(status)): \(json.jsonString.prefix(300))")
        }
    }

    /// Creates `count` tasks, `batch` aliased `createTask` fields per request, `workers`
    /// requests in flight. Returns the time it took.
    /// `encrypt`, when given, adds the task's encrypted fields to its input.
    func seedTasks(
        count: Int, batch: Int, workers: Int, token: String, encrypt: (@Sendable (Int) throws -> [String: JSONValue])? = nil,
        progress: @escaping @Sendable (Int) -> Void
    ) async throws -> Duration {
        let batches = stride(from: 0, to: count, by: batch).map { ($0, min(batch, count - $0)) }
        let started = ContinuousClock.now
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let index = next.take(below: batches.count) {
                        let (first, size) = batches[index]
                        // Variables, not literals: a document may hold at most 5,000 tokens.
                        let declarations = (0..<size).map { "$i\($0): CreateTaskInput!" }.joined(separator: ", ")
                        let fields = (0..<size).map { "t\($0): createTask(input: $i\($0)) { id }" }.joined(separator: " ")
                        var variables: [String: JSONValue] = [:]
                        for k in 0..<size {
                            var input = TaskFixture.fields(first + k)
                            if let encrypt { input.merge(try encrypt(first + k)) { $1 } }
                            variables["i\(k)"] = .object(input)
                        }
                        try await self.mutate(
                            "mutation Seed(\(declarations)) { \(fields) }", variables: .object(variables), token: token, fields: size)
                        progress(size)
                    }
                }
            }
            try await group.waitForAll()
        }
        return ContinuousClock.now - started
    }

    /// `count` single `createTask` requests from `connections` connections at once: the
    /// server's durable write rate as any client of it sees it. Returns the time it took.
    func createTasks(count: Int, connections: Int, token: String, offset: Int) async throws -> Duration {
        let document = "mutation Create($input: CreateTaskInput!) { createTask(input: $input) { id _version } }"
        let started = ContinuousClock.now
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, connections) {
                group.addTask {
                    while let index = next.take(below: count) {
                        try await self.mutate(
                            document, variables: ["input": .object(TaskFixture.fields(offset + index))], token: token, fields: 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        return ContinuousClock.now - started
    }
}

/// Hands out 0, 1, 2, … to concurrent workers.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// The next number, or nil once `limit` is reached.
    func take(below limit: Int) -> Int? {
        value.withLock { value in
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}

/// The records of the benchmark: tasks of the example schema (Schema/example.graphql) with every
/// kind of field it has (an enum, numbers, a date, a set-like list, a list of nested objects),
/// about 300 bytes each on the wire. `status` and `priority` lead the `byStatus` index, which the
/// local queries filter on.
enum TaskFixture {
    static let statuses = ["TODO", "IN_PROGRESS", "DONE"]
    /// Priorities run 0..<priorities: a `status` + `priority` filter selects about 1/300 of the tasks.
    static let priorities = 100

    /// The id of seeded task `index` (given, so that its encrypted value can be bound to it).
    static func id(_ index: Int) -> String { "task-\(index)" }

    /// The assignee of task `index` (`@encrypted(blindIndex: true)`; one of 50, so that the blind
    /// index is shared as a real assignee's would be). Set with `--encrypted` only.
    static func assignee(_ index: Int) -> String { "crew-\(index % 50)@harbour.example" }

    static func fields(_ index: Int) -> [String: JSONValue] {
        [
            "title": .string("Task \(index): check the tide tables for the harbour, berth \(index % 97)"),
            "status": .string(statuses[index % statuses.count]),
            "priority": .int(Int64((index / statuses.count) % priorities)),
            "dueDate": .string(String(format: "2026-%02d-%02d", index % 12 + 1, index % 28 + 1)),
            "labels": .array([.string("area-\(index % 7)"), .string("crew-\(index % 5)")]),
            "checklist": .array([
                ["text": .string("inspect moorings"), "done": .bool(index % 2 == 0)],
                ["text": .string("log the level at \(index % 24):00"), "done": false],
            ]),
        ]
    }
}

/// A failure of the benchmark itself (a server that would not start, a write that failed).
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
