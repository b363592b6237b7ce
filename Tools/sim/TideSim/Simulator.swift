import Foundation
import Synchronization
import TideModel
import TideScenario
import TideTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// How one seed runs.
public struct SimOptions: Sendable {
    public var seed: UInt64
    /// `tide` processes, each with its own profile (devices of two users; see ``Schedule``).
    public var clients: Int
    /// Steps of the schedule (the final syncs and checks come after them).
    public var steps: Int
    /// The `tide` executable.
    public var tide: String
    /// The schema served (package-relative or absolute); it must have `Task` and `Post` as in Schema/example.graphql.
    public var schema: String
    /// How long the final syncs may take to empty every outbox before it counts as wedged.
    public var settleTimeout: Duration
    /// Progress lines (each step with `verbose`).
    public var log: @Sendable (String) -> Void
    public var verbose: Bool

    public init(
        seed: UInt64, clients: Int = 4, steps: Int = 40, tide: String = SimOptions.defaultTide,
        schema: String = "Schema/example.graphql", settleTimeout: Duration = .seconds(120), verbose: Bool = false,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.seed = seed
        self.clients = clients
        self.steps = steps
        self.tide = tide
        self.schema = schema
        self.settleTimeout = settleTimeout
        self.verbose = verbose
        self.log = log
    }

    /// `$TIDE_BIN`, else the debug build's `tide` beside the package.
    public static var defaultTide: String {
        ProcessInfo.processInfo.environment["TIDE_BIN"]
            ?? ServerProcess.packageRoot.appendingPathComponent(".build/debug/tide").path
    }
}

/// What one seed did and found.
public struct SeedResult: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var clients: Int
    public var steps: Int
    /// Every violated rule (empty: passed).
    public var problems: [String]
    public var creates = 0
    public var updates = 0
    public var deletes = 0
    /// Updates and deletes skipped because the client did not hold the record (not synced yet,
    /// or deleted): nothing was accepted, so nothing is checked.
    public var skipped = 0
    public var clientKills = 0
    public var serverRestarts = 0
    /// Conflict resolutions the clients recorded.
    public var conflicts = 0
    /// Parked entries the schedule explains, discarded at the end.
    public var parkedExplained = 0
    /// Updates whose `tide get` and `tide save` a `tide watch` came between (see ``Checker``).
    public var staleReads = 0
    /// Records on the server at the end (as the owners read them).
    public var tasks = 0
    public var posts = 0
    public var seconds = 0.0
    /// The profiles and the server's data folder, kept when the seed failed.
    public var keptAt: String?

    public var passed: Bool { problems.isEmpty }

    public var description: String {
        let verdict = passed ? "ok" : "FAILED (\(problems.count) problems)"
        return "seed \(seed): \(verdict): \(steps) steps, \(clients) clients; writes accepted: \(creates) creates, \(updates) updates, "
            + "\(deletes) deletes (\(skipped) skipped: record not held; \(staleReads) on a stale read); \(clientKills) client kills, \(serverRestarts) server restarts; "
            + "\(conflicts) conflicts resolved, \(parkedExplained) parked (explained); server holds \(tasks) tasks, \(posts) posts; "
            + String(format: "%.1f s", seconds)
    }
}

/// N `tide` clients against a real `tidewater serve`, driven through a seeded ``Schedule``,
/// then settled and checked (Tools/sim/README.md).
///
/// ```swift
/// let result = await Simulator.run(SimOptions(seed: 7, clients: 3, steps: 20))
/// print(result)   // seed 7: ok: 20 steps, 3 clients; writes accepted: …
/// ```
public enum Simulator {
    public static let password = testPassword

    public static func run(_ options: SimOptions) async -> SeedResult {
        let started = ContinuousClock.now
        let schedule = Schedule(seed: options.seed, clients: options.clients, steps: options.steps)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "tide-sim-\(options.seed)-\(UUID().uuidString.prefix(8).lowercased())")
        let run = Run(options: options, root: root)
        var result = SeedResult(seed: options.seed, clients: options.clients, steps: options.steps, problems: [])
        do {
            try await run.start()
            for (index, step) in schedule.steps.enumerated() {
                if options.verbose { options.log("  step \(index): \(step)") }
                try await run.perform(step, index: index)
            }
            let final = try await run.settle()
            run.problems.append(contentsOf: Checker.problems(final, run.ledger))
            result.conflicts = final.clients.map(\.conflicts.count).reduce(0, +)
            result.parkedExplained = final.clients.enumerated().flatMap { c, client in
                client.discarded.filter { Checker.isExplained($0, client: c, clients: options.clients, run.ledger) }
            }.count
            // Each user reads their own tasks and every post.
            result.tasks = final.server.map { $0[.task]?.count ?? 0 }.reduce(0, +)
            result.posts = final.server.first?[.post]?.count ?? 0
        } catch {
            run.problems.append("the run stopped: \(error)")
        }
        await run.stop()
        result.problems = run.problems
        result.creates = run.ledger.count(.create)
        result.updates = run.ledger.count(.update)
        result.deletes = run.ledger.count(.delete)
        result.staleReads = run.ledger.writes.filter(\.staleRead).count
        result.skipped = run.ledger.skipped
        result.clientKills = run.clientKills
        result.serverRestarts = run.serverRestarts
        let elapsed = ContinuousClock.now - started
        result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if result.passed {
            try? FileManager.default.removeItem(at: root)
        } else {
            try? run.serverLog.write(to: root.appendingPathComponent("server.log"), atomically: true, encoding: .utf8)
            result.keptAt = root.path
        }
        return result
    }
}

/// One seed's processes and what they accepted. Used by one task at a time.
private final class Run {
    let options: SimOptions
    let root: URL
    var server: ServerProcess?
    var port = 0
    var watches: [Int: Child] = [:]
    /// Clients whose link the schedule has set offline.
    var offline = Set<Int>()
    var ledger = Ledger()
    var problems: [String] = []
    var clientKills = 0
    var serverRestarts = 0
    /// The logs of the servers that were killed, then the current one's.
    var serverLogs: [String] = []

    init(options: SimOptions, root: URL) {
        self.options = options
        self.root = root
    }

    var data: URL { root.appendingPathComponent("server") }
    func profile(_ client: Int) -> String { root.appendingPathComponent("c\(client)").path }
    func username(_ client: Int) -> String { "u\(Schedule.user(ofClient: client, clients: options.clients))" }
    var serverLog: String { (serverLogs + [server?.readStderr() ?? ""]).joined(separator: "\n=== server restarted\n") }

    // MARK: - Start and stop

    func start() async throws {
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let server = try await ServerProcess(schema: options.schema, dataDirectory: data, signIn: false)
        self.server = server
        port = server.baseURL.port ?? 0
        let url = server.baseURL.absoluteString
        for client in 0..<options.clients {
            if client < Schedule.users(clients: options.clients) {
                let signUp = try await tide(
                    client, ["signup", "--server", url, "--username", username(client), "--password-stdin"], input: Simulator.password + "\n")
                guard signUp.status == 0 else { throw SimFailure("signup \(username(client)) exited \(signUp.status): \(lastLine(signUp.stderr))") }
            }
            let login = try await tide(
                client, ["login", "--server", url, "--username", username(client), "--password-stdin"], input: Simulator.password + "\n")
            guard login.status == 0 else { throw SimFailure("c\(client): login exited \(login.status): \(lastLine(login.stderr))") }
        }
        for client in 0..<options.clients { try await perform(.startWatch(client: client), index: -1) }
    }

    func stop() async {
        for child in watches.values { child.signal(SIGKILL) }
        for child in watches.values { _ = await child.wait(timeout: .seconds(10)) }
        watches = [:]
        if let server { await server.stop() }
    }

    private func restartServer() async throws {
        guard let old = server else { return }
        await old.crash()
        serverLogs.append(old.readStderr())
        server = nil
        // The port was just freed; another process may take it meanwhile, rarely: a few tries.
        var lastError: (any Error)?
        for _ in 0..<5 {
            do {
                server = try await ServerProcess(schema: options.schema, dataDirectory: data, port: port, signIn: false)
                serverRestarts += 1
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        throw SimFailure("the server did not restart on port \(port): \(lastError.map { "\($0)" } ?? "")")
    }

    // MARK: - Steps

    func perform(_ step: Step, index: Int) async throws {
        let what = "step \(index) (\(step))"
        switch step {
        case .create(let client, let model, let id, let token):
            let saved = try await tide(client, ["save", model.rawValue, Self.record(model, id: id, tokens: [token]).jsonString])
            if expect(saved, [0], what) {
                ledger.accept(.init(step: index, client: client, kind: .create, model: model, id: id, token: token, staleRead: false))
            }
        case .update(let client, let model, let id, let token), .createShared(let client, let model, let id, let token):
            // An app edits what it shows: a client that does not hold the record syncs first
            // when online, and skips the step when it still does not (not sent by its creator
            // yet, or deleted); the shared record it creates instead.
            let createsWhenAbsent = if case .createShared = step { true } else { false }
            guard var held = try await localRecord(client, model, id, what) else { return }
            if held == nil, !createsWhenAbsent, !offline.contains(client) {
                expect(try await tide(client, ["sync"], timeout: .seconds(90)), [0], what + ": sync")
                guard let again = try await localRecord(client, model, id, what) else { return }
                held = again
            }
            if options.verbose { options.log("    c\(client) holds \(id): \(held?.jsonString ?? "no")") }
            guard held != nil || createsWhenAbsent else {
                ledger.skip()
                return
            }
            let tokens = held.map { Checker.tokens($0, model) } ?? []
            let saved = try await tide(client, ["save", model.rawValue, Self.record(model, id: id, tokens: tokens + [token]).jsonString])
            if saved.status == 2, saved.stderr.contains("was deleted") {
                // Deleted here (or by a `tide watch` between the get and the save).
                ledger.skip()
            } else if expect(saved, [0], what) {
                // The get and the save are two processes: when the client's `tide watch` applied
                // a newer version in between, the save set the words read before on top of it.
                let savedOn = (try? parse(saved.stdout, "tide save"))?["_version"]?.intValue
                let staleRead = held != nil && savedOn != held?["_version"]?.intValue
                if staleRead, options.verbose { options.log("    read-modify-write raced the watch: read \(held?["_version"]?.jsonString ?? "-"), saved on \(savedOn.map(String.init) ?? "-")") }
                ledger.accept(.init(
                    step: index, client: client, kind: held == nil ? .create : .update, model: model, id: id, token: token,
                    staleRead: staleRead))
            }
        case .delete(let client, let model, let id):
            let deleted = try await tide(client, ["delete", model.rawValue, id])
            if deleted.status == 1, deleted.stderr.contains("not found") {
                ledger.skip()
            } else if expect(deleted, [0], what) {
                ledger.accept(.init(step: index, client: client, kind: .delete, model: model, id: id, token: nil, staleRead: false))
            }
        case .offline(let client):
            offline.insert(client)
            expect(try await tide(client, ["offline"]), [0], what)
        case .online(let client):
            offline.remove(client)
            expect(try await tide(client, ["online"]), [0], what)
        case .sync(let client):
            expect(try await tide(client, ["sync"], timeout: .seconds(90)), [0], what)
        case .startWatch(let client):
            watches[client] = try await Child.start(options.tide, ["watch", "--json", "--profile", profile(client)])
        case .stopWatch(let client):
            try await stopWatch(client, what)
        case .killWatch(let client):
            guard let child = watches.removeValue(forKey: client) else { return }
            child.signal(SIGKILL)
            _ = await child.wait(timeout: .seconds(10))
            clientKills += 1
        case .killSync(let client, let milliseconds):
            let child = try await Child.start(options.tide, ["sync", "--json", "--profile", profile(client)])
            try await Task.sleep(for: .milliseconds(milliseconds))
            child.signal(SIGKILL)
            let status = await child.wait(timeout: .seconds(10))
            if status == -SIGKILL { clientKills += 1 }
            if status != -SIGKILL, status != 0 {
                problems.append("\(what): tide sync exited \(status.map(String.init) ?? "no status") before the kill: \(lastLine(child.stderr))")
            }
        case .restartServer:
            try await restartServer()
        }
    }

    /// `tide get`: `.some(nil)` when the client does not hold the record (absent or deleted),
    /// nil when `tide get` failed (a problem is recorded).
    private func localRecord(_ client: Int, _ model: SimModel, _ id: String, _ what: String) async throws -> JSONValue?? {
        let got = try await tide(client, ["get", model.rawValue, id])
        guard expect(got, [0, 1], what + ": get") else { return nil }
        guard got.status == 0 else { return .some(nil) }
        let record = try parse(got.stdout, "tide get")
        return .some(record["_deleted"]?.boolValue == true ? JSONValue?.none : record)
    }

    private func stopWatch(_ client: Int, _ what: String) async throws {
        guard let child = watches.removeValue(forKey: client) else { return }
        // `tide watch` turns SIGTERM into a clean exit once it runs; one sent while the process
        // is still starting (before its first status line) ends it the default way.
        let started = ContinuousClock.now + .seconds(15)
        while !child.stderr.contains("status: "), child.exitStatus == nil, ContinuousClock.now < started {
            try await Task.sleep(for: .milliseconds(20))
        }
        child.signal(SIGTERM)
        guard let status = await child.wait(timeout: .seconds(30)) else {
            child.signal(SIGKILL)
            // What it last reported (status lines, changes) is where it was stuck.
            let tail = child.stderr.split(separator: "\n").suffix(8).joined(separator: " | ")
            problems.append("\(what): tide watch did not exit within 30 s of SIGTERM; its last lines: \(tail)")
            return
        }
        if status != 0 { problems.append("\(what): tide watch exited \(status): \(lastLine(child.stderr))") }
    }

    /// The record a write saves: a title and status that never change, and the tokens.
    static func record(_ model: SimModel, id: String, tokens: [String]) -> JSONValue {
        switch model {
        case .task:
            ["id": .string(id), "title": .string("task \(id)"), "status": "TODO", "labels": .array(tokens.map(JSONValue.string))]
        case .post:
            ["id": .string(id), "title": .string("post \(id)"), "status": "DRAFT", "content": .string(tokens.joined(separator: " "))]
        }
    }

    // MARK: - The end

    /// Every watch stopped, every client online and synced until its outbox is empty; parked
    /// entries listed and discarded; every client synced once more (to receive what the others
    /// sent last); then what each client and the server hold.
    func settle() async throws -> FinalState {
        for client in watches.keys.sorted() { try await stopWatch(client, "final: c\(client) stop watch") }
        for client in 0..<options.clients { expect(try await tide(client, ["online"]), [0], "final: c\(client) online") }
        var unsettled = Set(0..<options.clients)
        let deadline = ContinuousClock.now + options.settleTimeout
        while !unsettled.isEmpty, ContinuousClock.now < deadline {
            for client in unsettled.sorted() {
                expect(try await tide(client, ["sync"], timeout: .seconds(90)), [0], "final: c\(client) sync")
                let status = try parse(try await tide(client, ["status"]).stdout, "tide status")
                if status["outbox"]?["pending"]?.intValue == 0 { unsettled.remove(client) }
            }
            if !unsettled.isEmpty { try await Task.sleep(for: .seconds(1)) }
        }
        for client in unsettled.sorted() {
            problems.append("c\(client): outbox still has pending entries \(options.settleTimeout) after the final syncs began (wedged)")
        }
        var discarded: [[FinalState.Parked]] = []
        for client in 0..<options.clients {
            var parked: [FinalState.Parked] = []
            for entry in try await json(client, ["outbox"]).arrayValue ?? [] where entry["state"]?.stringValue == "parked" {
                guard let id = entry["id"]?.intValue else { continue }
                parked.append(.init(
                    model: entry["model"]?.stringValue ?? "", id: entry["recordId"]?.stringValue ?? "", reason: entry["reason"]?.stringValue ?? ""))
                expect(try await tide(client, ["outbox", "discard", String(id)]), [0], "final: c\(client) outbox discard \(id)")
            }
            discarded.append(parked)
        }
        for client in 0..<options.clients { expect(try await tide(client, ["sync"], timeout: .seconds(90)), [0], "final: c\(client) sync") }

        var clients: [FinalState.Client] = []
        for client in 0..<options.clients {
            var records: [SimModel: [String: JSONValue]] = [:]
            for model in SimModel.allCases {
                records[model] = Self.byID(try await json(client, ["query", model.rawValue]).arrayValue ?? [])
            }
            let conflicts = (try await json(client, ["conflicts"]).arrayValue ?? []).map {
                (model: $0["model"]?.stringValue ?? "", id: $0["recordId"]?.stringValue ?? "", outcome: $0["outcome"]?.stringValue ?? "")
            }
            clients.append(.init(
                user: Schedule.user(ofClient: client, clients: options.clients), records: records, conflicts: conflicts,
                discarded: discarded[client], outbox: try await json(client, ["outbox"]).arrayValue ?? []))
        }
        var server: [[SimModel: [String: JSONValue]]] = []
        for user in 0..<Schedule.users(clients: options.clients) {
            server.append(try await serverRecords(username: "u\(user)"))
        }
        return FinalState(clients: clients, server: server)
    }

    /// A base sync of each model as `username`: every page, no `lastSync`.
    private func serverRecords(username: String) async throws -> [SimModel: [String: JSONValue]] {
        guard let server else { throw SimFailure("no server") }
        let token = try await HTTPClient().signIn(server.baseURL, username: username, password: Simulator.password)
        let client = GraphQLClient(server, credentials: ["Authorization": "Bearer \(token)"])
        var result: [SimModel: [String: JSONValue]] = [:]
        for model in SimModel.allCases {
            var items: [JSONValue] = []
            var nextToken: JSONValue = .null
            repeat {
                let data = try await client.data(
                    "query S($t: String) { sync\(model.rawValue)s(limit: 100, nextToken: $t) { items { \(Checker.fields(model).joined(separator: " ")) _deleted } nextToken } }",
                    variables: ["t": nextToken])
                let page = data["sync\(model.rawValue)s"]
                items += (page?["items"]?.arrayValue ?? []).filter { $0["_deleted"]?.boolValue != true }
                nextToken = page?["nextToken"] ?? .null
            } while nextToken != .null
            result[model] = Self.byID(items)
        }
        return result
    }

    private static func byID(_ records: [JSONValue]) -> [String: JSONValue] {
        Dictionary(records.compactMap { record in record["id"]?.stringValue.map { ($0, record) } }) { first, _ in first }
    }

    // MARK: - tide

    func tide(_ client: Int, _ arguments: [String], input: String = "", timeout: Duration = .seconds(60)) async throws -> Child.Finished {
        try await Child.run(options.tide, arguments + ["--json", "--profile", profile(client)], input: input, timeout: timeout)
    }

    private func json(_ client: Int, _ arguments: [String]) async throws -> JSONValue {
        let result = try await tide(client, arguments)
        guard result.status == 0 else {
            throw SimFailure("c\(client): tide \(arguments.joined(separator: " ")) exited \(result.status): \(lastLine(result.stderr))")
        }
        return try parse(result.stdout, "tide \(arguments.joined(separator: " "))")
    }

    private func parse(_ text: String, _ what: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw SimFailure("\(what) printed no JSON: \(text.prefix(200))")
        }
    }

    /// Whether `result` exited with one of `statuses`; a problem is recorded when not.
    @discardableResult
    private func expect(_ result: Child.Finished, _ statuses: Set<Int32>, _ what: String) -> Bool {
        if statuses.contains(result.status) { return true }
        problems.append("\(what): exited \(result.status): \(lastLine(result.stderr))")
        return false
    }

    private func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? "(no output)"
    }
}

struct SimFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
