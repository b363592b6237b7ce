import Foundation
import Testing
import TideModel
import TideTestSupport

/// `extensions.resumeFrom`: replay from the change feed, then live, with no gap and no duplicate.
@Suite struct SubscriptionResumeTests {
    static let onCreate = "subscription { onCreateNote { title } }"

    static func create(_ client: GraphQLClient, _ title: String) async throws {
        _ = try await client.data("mutation C($t: String!) { createNote(input: {title: $t}) { id } }", variables: ["t": .string(title)])
    }

    static func event(_ message: JSONValue) -> (seq: Int64, title: String)? {
        guard message["type"] == "next", let payload = message["payload"], let seq = payload["extensions"]?["seq"]?.intValue,
            let title = payload["data"]?["onCreateNote"]?["title"]?.stringValue
        else { return nil }
        return (seq, title)
    }

    @Test func resumeReplaysExactlyTheMissedEventsThenGoesLive() async throws {
        try await withServer { server, client in
            let first = try await GraphQLSocket.connect(server)
            try await first.initialize(client.credentials)
            try await first.subscribe("s", Self.onCreate)
            _ = try await first.execute("sync", "{ listNotes { items { id } } }")
            try await Self.create(client, "a")
            guard let a = Self.event(try await first.next()) else { throw TestFailure("no event") }
            await first.close()

            try await Self.create(client, "b")
            try await Self.create(client, "c")
            let second = try await GraphQLSocket.connect(server)
            try await second.initialize(client.credentials)
            try await second.subscribe("s", Self.onCreate, resumeFrom: a.seq)
            let replayed = try await [second.next(), second.next()].compactMap(Self.event)
            #expect(replayed.map(\.title) == ["b", "c"])
            try await Self.create(client, "d")
            let live = try await second.drain().compactMap(Self.event)
            #expect(live.map(\.title) == ["d"])
            #expect((replayed + live).map(\.seq) == [a.seq + 1, a.seq + 2, a.seq + 3])
            await second.close()
        }
    }

    @Test func resumeOutsideTheFeedAsksForADeltaSync() async throws {
        let config = ServerProcess.temporaryDirectory().appendingPathComponent("retention.json")
        try Data(#"{"feedRetentionSeconds": 1, "maintenanceIntervalSeconds": 1}"#.utf8).write(to: config)
        try await withServer(extraArguments: ["--config", config.path]) { server, client in
            try await Self.create(client, "old")
            // Maintenance purges feed entries older than a second.
            let deadline = ContinuousClock.now + .seconds(15)
            var purged = false
            while !purged && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
                let socket = try await GraphQLSocket.connect(server)
                try await socket.initialize(client.credentials)
                try await socket.subscribe("s", Self.onCreate, resumeFrom: 0)
                try await socket.send(["type": "ping"])
                let reply = try await socket.next()
                if reply["type"] == "error" {
                    #expect(reply.firstError?["extensions"]?["code"] == "RESUME_TOO_OLD")
                    purged = true
                }
                await socket.close()
            }
            #expect(purged)

            let ahead = try await GraphQLSocket.connect(server)
            try await ahead.initialize(client.credentials)
            try await ahead.subscribe("s", Self.onCreate, resumeFrom: try await server.feedHead() + 100)
            let reply = try await ahead.next()
            #expect(reply["type"] == "error")
            #expect(reply.firstError?["extensions"]?["code"] == "RESUME_TOO_OLD")
            await ahead.close()
        }
    }

    /// A writer keeps creating while a subscriber drops its connection and resumes several times:
    /// the union of what it received is the feed, each event once.
    @Test func resumingWhileWritesContinueIsExact() async throws {
        try await withServer { server, client in
            let writer = Task {
                var n = 0
                while !Task.isCancelled {
                    do { try await Self.create(client, "w\(n)") } catch { break }
                    n += 1
                }
                return n
            }
            var received: [(seq: Int64, title: String)] = []
            var last: Int64 = 0
            for round in 0..<6 {
                let socket = try await GraphQLSocket.connect(server)
                try await socket.initialize(client.credentials)
                try await socket.subscribe("s", Self.onCreate, resumeFrom: round == 0 ? 0 : last)
                // Read a handful, then drop the connection without a goodbye.
                for _ in 0..<(5 + round * 3) {
                    guard let event = Self.event(try await socket.next()) else { continue }
                    received.append(event)
                    last = event.seq
                }
                await socket.close()
            }
            writer.cancel()
            let written = await writer.value

            // Resume once more and read up to the head.
            let head = try await server.feedHead()
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            try await socket.subscribe("s", Self.onCreate, resumeFrom: last)
            while last < head {
                guard let event = Self.event(try await socket.next()) else { continue }
                received.append(event)
                last = event.seq
            }
            await socket.close()

            #expect(received.map(\.seq) == Array(1...head))
            #expect(Set(received.map(\.title)).count == received.count)
            #expect(written >= 20)  // writes kept arriving during the resumes
        }
    }
}
