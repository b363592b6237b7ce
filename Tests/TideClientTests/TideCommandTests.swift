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
