import Foundation
import Testing
import TideModel
import TideTestSupport

/// The `tide` binary (ARCHITECTURE §9.2): exit codes, one-line errors, JSON output, the
/// session file, and the scenario files of Fixtures/scenarios.
@Suite(.sharedServer()) struct TideCommandTests {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TIDE_BIN"] { return URL(fileURLWithPath: path) }
        return ServerProcess.packageRoot.appendingPathComponent(".build/debug/tide")
    }

    private func tide(_ arguments: [String], profile: URL, input: String? = nil) async throws -> CLIResult {
        try await runProcess(Self.binary, arguments + ["--profile", profile.path], input: input)
    }

    private func newProfile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("tide-profile-\(UUID().uuidString)")
    }

    @Test func exitCodesAndErrors() async throws {
        let server = try SharedServer.server()
        let profile = newProfile()
        defer { try? FileManager.default.removeItem(at: profile) }
        let user = "cli\(UUID().uuidString.prefix(8).lowercased())"
        func expectError(_ result: CLIResult, _ code: Int32, _ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            #expect(result.status == code, "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains(text), "\(result.stderr)", sourceLocation: sourceLocation)
            #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        }

        expectError(try await tide(["status"], profile: profile), 4, "not signed in")
        expectError(try await tide(["frobnicate"], profile: profile), 2, "frobnicate")
        expectError(
            try await tide(["login", "--server", "http://127.0.0.1:9", "--username", user, "--password-stdin"], profile: profile, input: "pw\n"),
            3, "unreachable")
        let server0 = server.baseURL.absoluteString
        let signup = try await tide(["signup", "--server", server0, "--username", user, "--password-stdin", "--json"], profile: profile, input: testPassword + "\n")
        #expect(signup.status == 0, "\(signup.stderr)")
        let signedUp = try JSONParser.parse(signup.stdout)
        #expect(signedUp["userId"]?.stringValue != nil)
        expectError(
            try await tide(["login", "--server", server0, "--username", user, "--password-stdin"], profile: profile, input: "wrong password\n"),
            4, "refused")
        let login = try await tide(["--json", "login", "--server", server0, "--username", user, "--password-stdin"], profile: profile, input: testPassword + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        let session = profile.appendingPathComponent("session.json").path
        let mode = (try FileManager.default.attributesOfItem(atPath: session)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "the session file holds the refresh token")

        expectError(try await tide(["save", "Note", "{bad"], profile: profile), 2, "malformed JSON")
        expectError(try await tide(["save", "Note", "[1]"], profile: profile), 2, "JSON object")
        expectError(try await tide(["save", "Nope", "{}"], profile: profile), 2, "unknown model 'Nope'")
        expectError(try await tide(["save", "Note", #"{"title": 5}"#], profile: profile), 2, "Note.title")
        expectError(try await tide(["save", "Note", #"{"title": "t", "colour": "red"}"#], profile: profile), 2, "no field 'colour'")
        expectError(try await tide(["query", "Note", "--filter", #"{"colour": {"eq": 1}}"#], profile: profile), 2, "colour")
        expectError(try await tide(["query", "Note", "--filter", #"{"priority": {"eq": "x"}}"#], profile: profile), 2, "priority")
        expectError(try await tide(["query", "Note", "--sort", "tags:up"], profile: profile), 2, "asc or desc")
        expectError(try await tide(["get", "Note", "absent"], profile: profile), 1, "not found")
        expectError(try await tide(["delete", "Note", "absent"], profile: profile), 1, "not found")
        let outbox = try await tide(["outbox", "--json"], profile: profile)
        #expect(outbox.status == 0 && outbox.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "bad input wrote nothing")
    }

    /// Bad input (ARCHITECTURE §9.2): a malformed record, an unknown model or field, a bad
    /// filter, sort or argument is one line on stderr and exit 2, and writes nothing: the outbox
    /// stays empty and the local store holds no record.
    @Test func badInputIsOneLineExitTwoAndWritesNothing() async throws {
        let server = try SharedServer.server()
        let profile = newProfile()
        defer { try? FileManager.default.removeItem(at: profile) }
        let user = "bad\(UUID().uuidString.prefix(8).lowercased())"
        let url = server.baseURL.absoluteString
        #expect(try await tide(["signup", "--server", url, "--username", user, "--password-stdin"], profile: profile, input: testPassword + "\n").status == 0)
        #expect(try await tide(["login", "--server", url, "--username", user, "--password-stdin"], profile: profile, input: testPassword + "\n").status == 0)

        let cases: [([String], String)] = [
            // Malformed records.
            (["save", "Note", #"{"title": "x",}"#], "malformed JSON"),
            (["save", "Note", ""], "malformed JSON"),
            (["save", "Note", #""a string""#], "JSON object"),
            (["save", "Note", #"{"priority": 1}"#], "Note.title is required"),
            (["save", "Note", #"{"title": null}"#], "Note.title"),
            (["save", "Note", #"{"title": "x", "priority": 1.5}"#], "Note.priority"),
            (["save", "Note", #"{"title": "x", "tags": "home"}"#], "Note.tags"),
            (["save", "Note", #"{"title": "x", "tags": [1]}"#], "Note.tags[0]"),
            (["save", "Note", #"{"title": "x", "dueAt": "tomorrow"}"#], "Note.dueAt"),
            (["save", "Note", #"{"id": 1.5, "title": "x"}"#], "Note.id"),
            (["save", "Note", #"{"id": "", "title": "x"}"#], "Note.id cannot be empty"),
            (["save", "Post", #"{"title": "x", "status": "LOST"}"#], "not a PostStatus"),
            (["save", "Post", #"{"title": "x", "status": "DRAFT", "cover": {"width": 3}}"#], "Post.cover.url is required"),
            (["save", "Post", #"{"title": "x", "status": "DRAFT", "cover": {"url": "https://x.example/a.png", "depth": 1}}"#], "no field 'depth'"),
            (["save", "Task", #"{"title": "x", "status": "TODO", "checklist": [{"text": "a"}]}"#], "checklist[0].done is required"),
            // Unknown models and fields.
            (["save", "Nope", #"{"title": "x"}"#], "unknown model 'Nope'"),
            (["get", "Nope", "x"], "unknown model 'Nope'"),
            (["delete", "Nope", "x"], "unknown model 'Nope'"),
            (["query", "Nope"], "unknown model 'Nope'"),
            (["watch", "Nope"], "unknown model 'Nope'"),
            (["save", "Note", #"{"title": "x", "Title": "y"}"#], "no field 'Title'"),
            // Bad filters and sorts.
            (["query", "Note", "--filter", "{bad"], "malformed JSON in --filter"),
            (["query", "Note", "--filter", "[1]"], "filter must be an object"),
            (["query", "Note", "--filter", #"{"priority": 1}"#], "filter.priority takes an object of operators"),
            (["query", "Note", "--filter", #"{"priority": {"approx": 1}}"#], "unknown operator 'approx'"),
            (["query", "Note", "--filter", #"{"and": {"priority": {"eq": 1}}}"#], "filter.and takes a list"),
            (["query", "Note", "--filter", #"{"priority": {"between": [1]}}"#], "exactly two values"),
            (["query", "Note", "--filter", #"{"done": {"gt": true}}"#], "unknown operator 'gt'"),
            (["query", "Post", "--filter", #"{"cover": {"eq": 1}}"#], "Post.cover cannot be filtered on"),
            (["query", "Post", "--filter", #"{"status": {"eq": "LOST"}}"#], "not a PostStatus"),
            (["query", "Note", "--sort", "colour"], "colour"),
            (["query", "Note", "--sort", "tags"], "not a scalar field"),
            (["query", "Note", "--sort", ":asc"], "empty sort field"),
            (["query", "Note", "--sort", "priority:"], "sort direction must be asc or desc, got ''"),
            (["query", "Note", "--limit=-1"], "must not be negative"),
            (["query", "Note", "--limit", "many"], "many"),
            // Bad arguments.
            (["save", "Note"], "record"),
            (["sync", "--bogus"], "bogus"),
            (["outbox", "retry", "first"], "first"),
            (["login", "--server", "ftp://127.0.0.1", "--username", user, "--password-stdin"], "invalid server URL"),
        ]
        for (arguments, text) in cases {
            let result = try await tide(arguments, profile: profile, input: testPassword + "\n")
            let command = arguments.joined(separator: " ")
            #expect(result.status == 2, "tide \(command): exit \(result.status): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "tide \(command): one line: \(result.stderr)")
            #expect(result.stderr.hasPrefix("tide: ") && result.stderr.contains(text), "tide \(command): \(result.stderr)")
            #expect(result.stdout.isEmpty, "tide \(command): printed \(result.stdout)")
        }

        let status = try JSONParser.parse(try await tide(["status", "--json"], profile: profile).stdout)
        #expect(status["user"]?["username"]?.stringValue == user, "still signed in as \(user)")
        #expect(status["outbox"] == ["pending": 0, "parked": 0])
        let records = status["models"]?.objectValue?.values.compactMap { $0["records"]?.intValue } ?? []
        #expect(!records.isEmpty && records.allSatisfy { $0 == 0 }, "no local record: \(status.jsonString)")
    }

    @Test func commandsPrintTheContractsJSON() async throws {
        let server = try SharedServer.server()
        let profile = newProfile()
        defer { try? FileManager.default.removeItem(at: profile) }
        let user = "cli\(UUID().uuidString.prefix(8).lowercased())"
        let url = server.baseURL.absoluteString
        _ = try await tide(["signup", "--server", url, "--username", user, "--password-stdin"], profile: profile, input: testPassword + "\n")
        _ = try await tide(["login", "--server", url, "--username", user, "--password-stdin"], profile: profile, input: testPassword + "\n")

        let saved = try JSONParser.parse(try await tide(["save", "Note", #"{"id": "c1", "title": "one", "priority": 2}"#, "--json"], profile: profile).stdout)
        #expect(saved["id"] == "c1" && saved["_pending"] == true)
        let status = try JSONParser.parse(try await tide(["--json", "status"], profile: profile).stdout)
        #expect(status["server"]?.stringValue == url && status["user"]?["username"]?.stringValue == user && status["link"] == "online")
        #expect(status["outbox"] == ["pending": 1, "parked": 0] && status["models"]?["Note"]?["records"] == 1)
        #expect(status["models"]?["Note"]?["lastSync"] == .null)

        _ = try await tide(["offline"], profile: profile)
        let offline = try await tide(["sync", "--json"], profile: profile)
        #expect(offline.status == 0)
        let nothing = try JSONParser.parse(offline.stdout)
        #expect(nothing["sent"] == 0)
        _ = try await tide(["online"], profile: profile)
        let sync = try await tide(["sync", "--json"], profile: profile)
        #expect(sync.status == 0, "\(sync.stderr)")
        let summary = try JSONParser.parse(sync.stdout)
        // received counts other tests' posts and comments too: every signed-in user reads those.
        #expect(summary["sent"] == 1 && summary["parked"] == 0 && summary["received"]?.intValue != nil && summary["conflicts"] == 0)

        let query = try JSONParser.parse(try await tide(["query", "Note", "--filter", #"{"priority": {"ge": 2}}"#, "--json"], profile: profile).stdout)
        #expect(query.arrayValue?.map { $0["id"] } == ["c1"] && query.arrayValue?.first?["_version"] == 1)
        let table = try await tide(["query", "Note"], profile: profile)
        #expect(table.stdout.contains("c1") && table.stdout.contains("title") && !table.stdout.contains("\u{1B}["), "no colours into a pipe")
        #expect(!table.stdout.contains("secretNote"), "no column for a field empty in every row")
        let status2 = try JSONParser.parse(try await tide(["status", "--json"], profile: profile).stdout)
        #expect(status2["models"]?["Note"]?["lastSync"]?.intValue != nil && status2["outbox"]?["pending"] == 0)

        let logout = try await tide(["logout", "--wipe"], profile: profile)
        #expect(logout.status == 0, "\(logout.stderr)")
        #expect(!FileManager.default.fileExists(atPath: profile.appendingPathComponent("session.json").path))
        #expect(try await tide(["get", "Note", "c1"], profile: profile).status == 4)
    }

    @Test(arguments: Self.scenarioFiles)
    func scenarioPasses(_ file: String) async throws {
        let server = try SharedServer.server()
        let result = try await runProcess(
            Self.binary, ["scenario", ServerProcess.packageRoot.appendingPathComponent(file).path, "--server", server.baseURL.absoluteString],
            timeout: .seconds(300))
        #expect(result.status == 0, "\(file): \(result.stderr)")
    }

    static let scenarioFiles: [String] = {
        let folder = ServerProcess.packageRoot.appendingPathComponent("Fixtures/scenarios")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "Fixtures/scenarios/\($0)" }
    }()

    /// A broken scenario file is one line naming the file and line, exit 2, before any step
    /// runs (the server given is unreachable: a step that ran would fail with exit 1 instead).
    @Test func brokenScenarioFilesAreOneLineExitTwo() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tide-broken-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let head = "clients: {alice: {}, bob: {}}\nsteps:\n"
        let cases: [(String?, String)] = [
            ("", ":1: the file is empty"),
            (nil, ":1: cannot read the file"),
            ("clients: {alice: {}}\n", "a scenario needs `steps:`"),
            ("clients: {alice: {}}\nsteps: sync\n", ":2: a scenario needs `steps:` (a list)"),
            ("steps:\n  - sync: alice\n", "a scenario needs `clients:`"),
            ("clients: {alice: {}}\nservers: http://127.0.0.1:9\nsteps: []\n", ":2: the scenario: unknown key 'servers'"),
            ("clients: {}\nsteps: []\n", ":1: `clients:` names no client"),
            (head + "  - {sync: alice, offline: alice}\n", ":3: a step is a mapping with one key"),
            (head + "  - save: {client: alice, model: Note, recrd: {title: x}}\n", ":3: save: unknown key 'recrd'"),
            (head + "  - save: {client: alice, model: Note, record: [x]}\n", ":3: save: `record` must be a mapping"),
            (head + "  - save: {client: alice, record: {title: x}}\n", ":3: missing `model`"),
            (head + "  - save: {client: carol, model: Note, record: {title: x}}\n", ":3: unknown client 'carol'"),
            (head + "  - save: {client: alice, model: Note, record: {title: x}, exit: two}\n", ":3: `exit` must be a whole number"),
            (head + "  - save: {client: alice, client: bob, model: Note, record: {title: x}}\n", ":3: malformed YAML: a mapping repeats the key 'client'"),
            (head + "  - sleep: soon\n", ":3: sleep takes a number of seconds"),
            (head + "  - wait: {client: alice}\n", ":3: wait needs one of"),
            (head + "  - wait: {client: alice, outbox: {}}\n", ":3: outbox needs `pending:` or `parked:`"),
            (head + "  - expect: {client: alice}\n", ":3: expect needs one of"),
            (head + "  - expect: {converged: [alice], model: Note}\n", ":3: converged needs at least two clients"),
            (head + "  - expect: {client: alice, query: {model: Note}}\n", ":3: expect query needs `ids:` or `count:`"),
            (head + "  - expect: {client: alice, outbox: {pending: -1}}\n", ":3: `pending` must be a whole number"),
            (head + "  - tide: {client: alice}\n", ":3: missing `args`"),
            (head + "  - sync: []\n", ":3: the list of clients is empty"),
            (head + "  - sync: alice\n\t- sync: bob\n", "malformed YAML"),
        ]
        for (index, (text, message)) in cases.enumerated() {
            let file = folder.appendingPathComponent("case\(index).yaml")
            if let text { try Data(text.utf8).write(to: file) }
            let result = try await runProcess(Self.binary, ["scenario", file.path, "--server", "http://127.0.0.1:9"])
            #expect(result.status == 2, "case \(index): exit \(result.status): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "case \(index): one line: \(result.stderr)")
            #expect(result.stderr.contains("\(file.path):") && result.stderr.contains(message), "case \(index): \(result.stderr)")
            #expect(result.stdout.isEmpty, "case \(index): printed \(result.stdout)")
        }
    }

    @Test func malformedScenarioNamesFileAndLine() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("""
            clients:
              alice: {}
            steps:
              - sync: alice
              - frobnicate: alice
            """.utf8).write(to: file)
        let result = try await runProcess(Self.binary, ["scenario", file.path, "--server", "http://127.0.0.1:9"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path):5: unknown step 'frobnicate'"), "\(result.stderr)")
        try Data("clients: {alice: {}}\nsteps:\n  - sync: [alice\n".utf8).write(to: file)
        let yaml = try await runProcess(Self.binary, ["scenario", file.path])
        #expect(yaml.status == 2 && yaml.stderr.contains("\(file.path):"), "\(yaml.stderr)")
        try Data("clients: {alice: {}}\nsteps:\n  - expect: {client: bob, outbox: {pending: 0}}\n".utf8).write(to: file)
        let unknownClient = try await runProcess(Self.binary, ["scenario", file.path, "--server", "http://127.0.0.1:9"])
        #expect(unknownClient.status == 2 && unknownClient.stderr.contains(":3: unknown client 'bob'"), "\(unknownClient.stderr)")
    }
}
