import Foundation
import Testing
import TideModel
import TideTestSupport

/// The graceful stop and its deadline (`--shutdown-timeout`), through a real server process.
@Suite struct ShutdownTests {
    /// SIGTERM with a subscriber, a subscriber that hangs, a request whose body is still
    /// arriving and one that never completes: the first request is answered and saved, the
    /// subscriber gets its close frame, what hangs is closed at the deadline, and the process
    /// exits 0 with every acknowledged write on disk.
    @Test func sigtermFinishesWhatIsInFlightAndClosesTheRestAtTheTimeout() async throws {
        let timeout = 3
        let server = try await ServerProcess(extraArguments: ["--shutdown-timeout", "\(timeout)"])
        let client = GraphQLClient(server)
        let create = "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id _version } }"
        for i in 0..<5 {
            _ = try await client.data(create, variables: ["input": ["id": .string("before-\(i)"), "title": "before"]])
        }
        let token = try #require(server.defaultToken)
        let listening = try await GraphQLSocket.connect(server)
        let hanging = try await GraphQLSocket.connect(server)
        for socket in [listening, hanging] {
            try await socket.initialize(["Authorization": "Bearer \(token)"])
            try await socket.subscribe("c", "subscription { onCreateNote { id } }")
        }
        _ = try await client.data(create, variables: ["input": ["id": "seen", "title": "live"]])
        for socket in [listening, hanging] { _ = try await socket.nextEvent("c") }
        try await hanging.stopReading()

        // Two requests whose heads the server has read (it answers 100 Continue): one whose body
        // comes after the signal, one whose body never does.
        let body = JSONValue.object([
            "query": .string(create), "variables": ["input": ["id": "in-flight", "title": "during the stop"]],
        ]).jsonString
        let inFlight = try await RawHTTPConnection.connect(server, sending: Self.head(token: token, length: body.utf8.count))
        let stalled = try await RawHTTPConnection.connect(server, sending: Self.head(token: token, length: body.utf8.count))
        for connection in [inFlight, stalled] {
            let interim = try await connection.receiveResponses(1, timeout: .seconds(10))
            try #require(interim.first?.hasPrefix("HTTP/1.1 100 Continue") == true)
        }
        try await stalled.send(String(body.prefix(10)))

        let signalled = ContinuousClock.now
        async let exitStatus = server.stop(timeout: .seconds(30))
        // Stopped accepting: a new connection is refused (or closed at once).
        try await withDeadline(.seconds(10), "the listener closing") {
            while let probe = try? await RawHTTPConnection.connect(server) {
                let (_, closed) = try await probe.receiveUntilClosed(timeout: .milliseconds(200))
                await probe.close()
                if closed { return }
            }
        }
        try await inFlight.send(body)
        let answered = try await inFlight.receiveUntilClosed(timeout: .seconds(10))
        #expect(answered.text.contains("HTTP/1.1 200 OK"), "the request in flight was not answered: \(answered.text)")
        #expect(answered.text.contains(#""_version":1"#))
        #expect(answered.closed)
        #expect(try await listening.closeCode(timeout: .seconds(10)) == 1001)

        let status = await exitStatus
        let stopped = ContinuousClock.now - signalled
        #expect(status == 0)
        // What hung held the stop until the deadline, and not much longer.
        #expect(stopped >= .seconds(timeout))
        #expect(stopped < .seconds(timeout + 10), "the stop took \(stopped)")
        #expect(try await stalled.receiveUntilClosed(timeout: .seconds(1)).closed)
        #expect(server.readStderr().contains("shutdown timeout reached"))

        let restarted = try await ServerProcess(dataDirectory: server.dataDirectory)
        let check = GraphQLClient(restarted)
        for id in (0..<5).map({ "before-\($0)" }) + ["seen", "in-flight"] {
            let data = try await check.data("query G($id: ID!) { getNote(id: $id) { _version } }", variables: ["id": .string(id)])
            #expect(data["getNote"]?["_version"] == 1, "\(id) was acknowledged but is not there")
        }
        #expect(await restarted.stop() == 0)
        await inFlight.close()
        await stalled.close()
        server.removeData()
    }

    private static func head(token: String, length: Int) -> String {
        "POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(length)\r\nExpect: 100-continue\r\n\r\n"
    }
}
