import Foundation
import Testing
import TideClient
import TideModel
import TideTestSupport

/// README.md's Swift example is `ReadmeExample.swift`: built with the tests, run here against a
/// real server, and compared with the README's text so that the two cannot drift apart.
@Suite(.sharedServer()) struct ReadmeExampleTests {
    @Test func theReadmeShowsTheExample() throws {
        let readme = try String(contentsOf: ServerProcess.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ReadmeExample.swift"),
            encoding: .utf8)
        let code = source.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("//") }.joined(separator: "\n")
        #expect(code.contains("func showUrgentNotes"))
        #expect(readme.contains("```swift\n" + code + "```\n"), "README.md (\"Client\") must show ReadmeExample.swift without its comment header")
    }

    @Test func theExampleSavesSendsAndEnds() async throws {
        let server = try SharedServer.server()
        let username = "readme\(UUID().uuidString.prefix(8).lowercased())"
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("tide-readme-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: store) }
        _ = try await TideClient(configuration: .init(server: server.baseURL, storeDirectory: store)).signUp(
            username: username, password: testPassword)

        try await withDeadline(.seconds(60), "the README example") {
            try await showUrgentNotes(server: server.baseURL, storeDirectory: store, username: username, password: testPassword)
        }

        // Another device of the same user gets the note from the server.
        let laptop = try await Device.signIn(server, as: username, newUser: false) { $0.models = ["Note"] }
        defer { Task { await laptop.close() } }
        #expect(try await laptop.client.syncNow().received == 1)
        let notes = try await laptop.client.query(Note.self)
        #expect(notes.map(\.title) == ["Buy milk"] && notes.first?.priority == 2 && notes.first?.tags == ["home"])
    }
}
