import Foundation
import Testing
import TideModel
import TideTestSupport

/// `tide keys …` (ARCHITECTURE §9.2, §9.3) with real `tide` processes: two profiles (devices) of
/// one user, the per-profile key agent between commands, wrong passphrases, a passphrase change
/// and sign-out locking the keys.
@Suite(.sharedServer()) struct TideKeysCommandTests {
    private func tide(_ arguments: [String], profile: URL, input: String? = nil) async throws -> CLIResult {
        try await runProcess(TideCommandTests.binary, arguments + ["--profile", profile.path], input: input)
    }

    private func expectOK(_ result: CLIResult, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(result.status == 0, "\(result.stderr)", sourceLocation: sourceLocation)
    }

    private func body(_ id: String, _ profile: URL) async throws -> JSONValue? {
        let got = try await tide(["get", "Note", id, "--json"], profile: profile)
        #expect(got.status == 0, "\(got.stderr)")
        let value = try JSONParser.parse(got.stdout)["body"]
        return value == .null ? nil : value
    }

    @Test func keysAcrossTwoDevicesWithTheKeyAgent() async throws {
        let server = try SharedServer.server().baseURL.absoluteString
        let phone = FileManager.default.temporaryDirectory.appendingPathComponent("tide-keys-\(UUID().uuidString.prefix(8))")
        let laptop = FileManager.default.temporaryDirectory.appendingPathComponent("tide-keys-\(UUID().uuidString.prefix(8))")
        let user = "keys\(UUID().uuidString.prefix(8).lowercased())"
        defer {
            // Removing a profile also ends its agent (it watches its socket file).
            for profile in [phone, laptop] { try? FileManager.default.removeItem(at: profile) }
        }
        expectOK(try await tide(["signup", "--server", server, "--username", user, "--password-stdin"], profile: phone, input: testPassword + "\n"))
        for profile in [phone, laptop] {
            expectOK(try await tide(["login", "--server", server, "--username", user, "--password-stdin"], profile: profile, input: testPassword + "\n"))
        }
        let notSetUp = try await tide(["keys", "unlock", "--passphrase-stdin"], profile: laptop, input: "first passphrase\n")
        #expect(notSetUp.status == 1 && notSetUp.stderr.contains("no encryption keys yet"), "\(notSetUp.stderr)")
        #expect(try await tide(["keys", "init"], profile: phone).status == 2, "the passphrase comes on stdin only")

        expectOK(try await tide(["keys", "init", "--passphrase-stdin"], profile: phone, input: "first passphrase\n"))
        let socket = phone.appendingPathComponent("agent.sock").path
        let mode = (try FileManager.default.attributesOfItem(atPath: socket)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "the agent's socket is the user's only")
        let secret = "tide-secret-\(UUID().uuidString)"
        expectOK(try await tide(["save", "Note", #"{"id": "n1-\#(user)", "title": "t", "body": "\#(secret)"}"#], profile: phone))
        let sent = try await tide(["sync", "--json"], profile: phone)
        expectOK(sent)
        #expect(try JSONParser.parse(sent.stdout)["sent"] == 1, "sent with the agent's keys: \(sent.stdout)")

        expectOK(try await tide(["sync"], profile: laptop))
        #expect(try await body("n1-\(user)", laptop) == nil, "locked: null")
        let wrong = try await tide(["keys", "unlock", "--passphrase-stdin"], profile: laptop, input: "not the passphrase\n")
        #expect(wrong.status == 1, "\(wrong.stderr)")
        #expect(wrong.stderr.split(separator: "\n").count == 1 && wrong.stderr.contains("wrong passphrase"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: laptop.appendingPathComponent("agent.sock").path), "no agent started")
        expectOK(try await tide(["keys", "unlock", "--passphrase-stdin"], profile: laptop, input: "first passphrase\n"))
        #expect(try await body("n1-\(user)", laptop) == .string(secret), "fetched again once unlocked")

        expectOK(try await tide(["keys", "change-passphrase", "--passphrase-stdin"], profile: laptop, input: "first passphrase\nsecond passphrase\n"))
        expectOK(try await tide(["keys", "lock"], profile: phone))
        try await eventually("the agent stopped") { !FileManager.default.fileExists(atPath: socket) }
        expectOK(try await tide(["save", "Note", #"{"id": "n1-\#(user)", "body": "edited while locked"}"#], profile: phone))
        let parked = try await tide(["sync", "--json"], profile: phone)
        expectOK(parked)
        #expect(try JSONParser.parse(parked.stdout)["parked"] == 1, "nothing encrypted leaves while locked: \(parked.stdout)")
        #expect(try await tide(["keys", "unlock", "--passphrase-stdin"], profile: phone, input: "first passphrase\n").status == 1)
        expectOK(try await tide(["keys", "unlock", "--passphrase-stdin"], profile: phone, input: "second passphrase\n"))
        let outbox = try JSONParser.parse(try await tide(["outbox", "--json"], profile: phone).stdout)
        let entry = try #require(outbox.arrayValue?.first?["id"]?.intValue)
        expectOK(try await tide(["outbox", "retry", String(entry)], profile: phone))
        expectOK(try await tide(["sync"], profile: phone))
        let rotated = try await tide(["keys", "rotate", "--json"], profile: phone)
        expectOK(rotated)
        #expect(try JSONParser.parse(rotated.stdout)["keyVersions"] == [1, 2])

        expectOK(try await tide(["sync"], profile: laptop))
        #expect(try await body("n1-\(user)", laptop) == "edited while locked")
        expectOK(try await tide(["logout"], profile: laptop))
        #expect(!FileManager.default.fileExists(atPath: laptop.appendingPathComponent("agent.sock").path), "sign-out locks the keys")
        expectOK(try await tide(["keys", "lock"], profile: phone))
    }
}
