import Foundation
import Synchronization
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// Runs a ``ScenarioFile`` against a server by running `tide` itself, once per step, for each
/// client with its own profile (`--profile`, `--json`): what a script would do, so every step
/// goes through the real binary. A client's `tide watch` is a child process the scenario can
/// stop or kill.
///
/// Users are created on first use as `<user>-<run>` (a run id per run), so a scenario can run
/// again on the same server; ids in the file use `{{run}}` for the same reason.
public struct ScenarioRunner: Sendable {
    public enum Result: Sendable {
        case passed(steps: Int, seconds: Double)
        /// The first failure: `file:line: what was expected, what was found`.
        case failed(String)
    }

    public let scenario: ScenarioFile
    public let server: URL
    public let tide: String
    public let run: String
    public let keepProfiles: Bool

    /// This process's executable (`/proc/self/exe`): `tide scenario` runs `tide`.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// A fresh run id: 8 hex digits.
    public static func newRunID() -> String {
        String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
    }

    public init(scenario: ScenarioFile, server: URL, tide: String, run: String = ScenarioRunner.newRunID(), keepProfiles: Bool = false) {
        self.scenario = scenario
        self.server = server
        self.tide = tide
        self.run = run
        self.keepProfiles = keepProfiles
    }

    private struct StepFailure: Error {
        var message: String
    }

    public func run(onStep: @Sendable (String) -> Void = { _ in }) async -> Result {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tide-scenario-\(run)")
        let state = RunState(root: root)
        let started = ContinuousClock.now
        defer {
            state.killWatches()
            if !keepProfiles { try? FileManager.default.removeItem(at: root) }
        }
        for step in scenario.steps {
            onStep("\(step.line): \(describe(step.action))")
            do {
                try await perform(step.action, state)
            } catch let failure as StepFailure {
                return .failed("\(scenario.path):\(step.line): \(failure.message)")
            } catch {
                return .failed("\(scenario.path):\(step.line): \(error)")
            }
        }
        if keepProfiles { onStep("profiles kept in \(root.path)") }
        let elapsed = ContinuousClock.now - started
        return .passed(steps: scenario.steps.count, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    // MARK: - Steps

    private func perform(_ action: ScenarioFile.Action, _ state: RunState) async throws {
        switch action {
        case .save(let client, let model, let record, let exit):
            try await tide(client, ["save", model, record.jsonString], state, expectExit: exit ?? 0)
        case .delete(let client, let model, let id, let exit):
            try await tide(client, ["delete", model, id], state, expectExit: exit ?? 0)
        case .sync(let clients):
            for client in clients { try await tide(client, ["sync"], state) }
        case .offline(let clients):
            for client in clients { try await tide(client, ["offline"], state) }
        case .online(let clients):
            for client in clients { try await tide(client, ["online"], state) }
        case .logout(let client, let wipe):
            try await tide(client, ["logout"] + (wipe ? ["--wipe"] : []), state)
            state.setUser(client, nil)
        case .login(let client, let user):
            try await signIn(client, as: user, state)
        case .watch(let client, let models):
            try await ensureSignedIn(client, state)
            guard state.watch(client) == nil else { throw StepFailure(message: "\(client) already runs tide watch") }
            let child = try await Child.start(tide, ["watch"] + models + ["--json", "--profile", state.profile(client)])
            state.setWatch(client, child)
        case .stop(let client):
            guard let child = state.watch(client) else { throw StepFailure(message: "\(client) runs no tide watch") }
            child.signal(SIGTERM)
            guard let status = await child.wait(timeout: .seconds(30)) else {
                child.signal(SIGKILL)
                throw StepFailure(message: "\(client)'s tide watch did not exit within 30 s of SIGTERM")
            }
            state.setWatch(client, nil)
            guard status == 0 else { throw StepFailure(message: "\(client)'s tide watch exited with \(status): \(lastLine(child.stderr))") }
        case .kill(let client):
            guard let child = state.watch(client) else { throw StepFailure(message: "\(client) runs no tide watch") }
            child.signal(SIGKILL)
            _ = await child.wait(timeout: .seconds(10))
            state.setWatch(client, nil)
        case .wait(let client, let condition, let timeout):
            try await wait(client, condition, timeout: timeout, state)
        case .sleep(let seconds):
            try await Task.sleep(for: .seconds(seconds))
        case .expect(let expectation):
            if let failure = try await check(expectation, state) { throw StepFailure(message: "expect failed: \(failure)") }
        case .tide(let client, let arguments, let exit):
            try await tide(client, arguments, state, expectExit: exit)
        }
    }

    private func wait(_ client: String, _ condition: ScenarioFile.Condition, timeout: Double, _ state: RunState) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        var last = ""
        while true {
            switch condition {
            case .status(let wanted):
                guard let child = state.watch(client) else { throw StepFailure(message: "\(client) runs no tide watch") }
                let statuses = child.stderr.split(separator: "\n").filter { $0.hasPrefix("status: ") }
                last = statuses.last.map { String($0.dropFirst("status: ".count)) } ?? "(none yet)"
                if last == wanted { return }
                if let status = child.exitStatus {
                    throw StepFailure(message: "\(client)'s tide watch exited (\(status)) before it was \(wanted): \(lastLine(child.stderr))")
                }
            case .outbox(let pending, let parked):
                let (actualPending, actualParked) = try await outboxCounts(client, state)
                last = "pending \(actualPending), parked \(actualParked)"
                if pending.map({ $0 == actualPending }) ?? true, parked.map({ $0 == actualParked }) ?? true { return }
            case .record(let model, let id, let fields):
                let record = try await localRecord(client, model, id, state)
                if let record, fields.map({ Self.mismatch(record, $0) == nil }) ?? true { return }
                last = record.map { $0.jsonString } ?? "absent"
            }
            guard ContinuousClock.now < deadline else {
                throw StepFailure(message: "wait timed out after \(timeout) s: \(client) is \(last)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func check(_ expectation: ScenarioFile.Expectation, _ state: RunState) async throws -> String? {
        switch expectation {
        case .record(let client, let model, let id, let fields, let absent):
            let record = try await localRecord(client, model, id, state)
            if absent { return record.map { "\(client): \(model) \(id) should be absent, found \($0.jsonString)" } }
            guard let record else { return "\(client): \(model) \(id) is absent" }
            return fields.flatMap { Self.mismatch(record, $0) }.map { "\(client): \(model) \(id): \($0)" }
        case .query(let client, let model, let filter, let ids, let count):
            var arguments = ["query", model]
            if let filter { arguments += ["--filter", filter.jsonString] }
            let records = try await json(client, arguments, state).arrayValue ?? []
            let found = records.compactMap { $0["id"]?.stringValue }
            if let ids, Set(ids) != Set(found) || ids.count != found.count {
                return "\(client): query \(model) expected ids \(ids.sorted()), got \(found.sorted())"
            }
            if let count, count != found.count { return "\(client): query \(model) expected \(count) records, got \(found.count)" }
            return nil
        case .converged(let clients, let models):
            for model in models {
                var reference: (String, [String: JSONValue])?
                for client in clients {
                    var records: [String: JSONValue] = [:]
                    for record in try await json(client, ["query", model], state).arrayValue ?? [] {
                        guard case .object(var object) = record, let id = object["id"]?.stringValue else { continue }
                        object["_pending"] = nil
                        records[id] = .object(object)
                    }
                    guard let (first, expected) = reference else {
                        reference = (client, records)
                        continue
                    }
                    if expected != records { return "\(model): \(client) and \(first) differ: \(Self.difference(expected, records, first, client))" }
                }
            }
            return nil
        case .outbox(let client, let pending, let parked):
            let (actualPending, actualParked) = try await outboxCounts(client, state)
            if let pending, pending != actualPending { return "\(client): outbox pending expected \(pending), got \(actualPending)" }
            if let parked, parked != actualParked { return "\(client): outbox parked expected \(parked), got \(actualParked)" }
            return nil
        case .conflicts(let client, let count):
            let found = try await json(client, ["conflicts"], state).arrayValue?.count ?? 0
            return found == count ? nil : "\(client): expected \(count) recorded conflict resolutions, got \(found)"
        }
    }

    /// The first field of `record` that does not hold the expected value.
    static func mismatch(_ record: JSONValue, _ fields: [String: JSONValue]) -> String? {
        for name in fields.keys.sorted() {
            let actual = record[name] ?? .null
            if !FilterEvaluator.equals(actual, fields[name]!) {
                return "\(name) expected \(fields[name]!.jsonString), got \(actual.jsonString)"
            }
        }
        return nil
    }

    static func difference(_ a: [String: JSONValue], _ b: [String: JSONValue], _ nameA: String, _ nameB: String) -> String {
        let onlyA = Set(a.keys).subtracting(b.keys).sorted()
        let onlyB = Set(b.keys).subtracting(a.keys).sorted()
        if !onlyA.isEmpty { return "only \(nameA) has \(onlyA)" }
        if !onlyB.isEmpty { return "only \(nameB) has \(onlyB)" }
        for id in a.keys.sorted() where a[id] != b[id] {
            return "record \(id): \(nameA) \(a[id]!.jsonString), \(nameB) \(b[id]!.jsonString)"
        }
        return "no difference"
    }

    // MARK: - tide

    private func localRecord(_ client: String, _ model: String, _ id: String, _ state: RunState) async throws -> JSONValue? {
        let result = try await rawTide(client, ["get", model, id], state)
        if result.status == 1 { return nil }
        guard result.status == 0 else { throw StepFailure(message: "tide get \(model) \(id) for \(client) exited \(result.status): \(lastLine(result.stderr))") }
        return try parse(result.stdout, "tide get")
    }

    private func outboxCounts(_ client: String, _ state: RunState) async throws -> (Int, Int) {
        let status = try await json(client, ["status"], state)
        return (Int(status["outbox"]?["pending"]?.intValue ?? -1), Int(status["outbox"]?["parked"]?.intValue ?? -1))
    }

    private func json(_ client: String, _ arguments: [String], _ state: RunState) async throws -> JSONValue {
        let result = try await tide(client, arguments, state)
        return try parse(result.stdout, "tide \(arguments.first ?? "")")
    }

    private func parse(_ text: String, _ what: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw StepFailure(message: "\(what) printed no JSON: \(text.prefix(200))")
        }
    }

    @discardableResult
    private func tide(_ client: String, _ arguments: [String], _ state: RunState, expectExit: Int32 = 0) async throws -> Child.Finished {
        try await ensureSignedIn(client, state)
        let result = try await rawTide(client, arguments, state)
        guard result.status == expectExit else {
            throw StepFailure(
                message: "tide \(arguments.joined(separator: " ")) for \(client) exited \(result.status), expected \(expectExit): \(lastLine(result.stderr))")
        }
        return result
    }

    private func rawTide(_ client: String, _ arguments: [String], _ state: RunState, input: String = "") async throws -> Child.Finished {
        try await Child.run(tide, arguments + ["--json", "--profile", state.profile(client)], input: input)
    }

    private func ensureSignedIn(_ client: String, _ state: RunState) async throws {
        guard state.user(client) == nil, !state.wasSignedOut(client) else { return }
        let user = scenario.clients.first { $0.name == client }?.user ?? client
        try await signIn(client, as: user, state)
    }

    /// Signs the client's profile in as scenario user `user` (created on first use).
    private func signIn(_ client: String, as user: String, _ state: RunState) async throws {
        let username = "\(user)-\(run)"
        let password = scenario.clients.first { $0.user == user }?.password ?? "scenario password 123"
        let profile = state.profile(client)
        if state.markCreated(user) {
            let signUp = try await Child.run(
                tide, ["signup", "--server", server.absoluteString, "--username", username, "--password-stdin", "--json", "--profile", profile],
                input: password + "\n")
            guard signUp.status == 0 else { throw StepFailure(message: "signup \(username) exited \(signUp.status): \(lastLine(signUp.stderr))") }
        }
        let login = try await Child.run(
            tide, ["login", "--server", server.absoluteString, "--username", username, "--password-stdin", "--json", "--profile", profile],
            input: password + "\n")
        guard login.status == 0 else { throw StepFailure(message: "login \(username) exited \(login.status): \(lastLine(login.stderr))") }
        state.setUser(client, user)
    }

    private func lastLine(_ text: String) -> String {
        text.split(separator: "\n").last.map(String.init) ?? "(no output)"
    }

    private func describe(_ action: ScenarioFile.Action) -> String {
        switch action {
        case .save(let client, let model, let record, _): "\(client): save \(model) \(record.jsonString)"
        case .delete(let client, let model, let id, _): "\(client): delete \(model) \(id)"
        case .sync(let clients): "sync \(clients.joined(separator: ", "))"
        case .offline(let clients): "offline \(clients.joined(separator: ", "))"
        case .online(let clients): "online \(clients.joined(separator: ", "))"
        case .logout(let client, let wipe): "\(client): logout\(wipe ? " --wipe" : "")"
        case .login(let client, let user): "\(client): login as \(user)"
        case .watch(let client, let models): "\(client): watch \(models.joined(separator: " "))"
        case .stop(let client): "\(client): stop watch"
        case .kill(let client): "\(client): kill -9 watch"
        case .wait(let client, _, let timeout): "\(client): wait (up to \(timeout) s)"
        case .sleep(let seconds): "sleep \(seconds) s"
        case .expect: "expect"
        case .tide(let client, let arguments, _): "\(client): tide \(arguments.joined(separator: " "))"
        }
    }
}

/// What a run keeps per client: its profile, who it is signed in as, its `tide watch`.
private final class RunState: Sendable {
    private struct Clients {
        var users: [String: String] = [:]
        var signedOut: Set<String> = []
        var watches: [String: Child] = [:]
        var createdUsers: Set<String> = []
    }

    let root: URL
    private let clients = Mutex(Clients())

    init(root: URL) {
        self.root = root
    }

    func profile(_ client: String) -> String { root.appendingPathComponent(client).path }
    func user(_ client: String) -> String? { clients.withLock { $0.users[client] } }
    func wasSignedOut(_ client: String) -> Bool { clients.withLock { $0.signedOut.contains(client) } }

    func setUser(_ client: String, _ user: String?) {
        clients.withLock {
            $0.users[client] = user
            if user == nil { $0.signedOut.insert(client) } else { $0.signedOut.remove(client) }
        }
    }

    /// True the first time `user` is seen (then it is signed up).
    func markCreated(_ user: String) -> Bool { clients.withLock { $0.createdUsers.insert(user).inserted } }

    func watch(_ client: String) -> Child? { clients.withLock { $0.watches[client] } }
    func setWatch(_ client: String, _ child: Child?) { clients.withLock { $0.watches[client] = child } }

    func killWatches() {
        for child in clients.withLock({ Array($0.watches.values) }) { child.signal(SIGKILL) }
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
