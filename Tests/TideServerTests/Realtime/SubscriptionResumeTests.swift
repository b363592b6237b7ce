import Foundation
import Testing
import TideModel
import TideSchema
import TideStore
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

/// A resume from far back: the replay runs off the event loop a page at a time, so the other
/// connections on the resuming socket's loop keep being answered.
@Suite struct LongReplayTests {
    @Test func aLongReplayDoesNotHoldUpTheOtherConnections() async throws {
        let count = 20_000
        let folder = ServerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The feed is written straight into the store before the server starts: sending 20,000
        // mutations would take longer than the test.
        let schemaPath = ServerProcess.packageRoot.appendingPathComponent(AuthEnvironment.schema).path
        let store = try Store(
            schema: try SchemaLoader.load(path: schemaPath),
            configuration: StoreConfiguration(directory: folder.path, durability: .normal))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<32 {
                group.addTask {
                    for i in stride(from: worker, to: count, by: 32) {
                        _ = try await store.create(
                            model: "MemberDoc", id: nil, values: ["title": .string("n\(i)")], condition: nil, actor: "system:test")
                    }
                }
            }
            try await group.waitForAll()
        }
        store.close()

        let server = try await ServerProcess(schema: AuthEnvironment.schema, dataDirectory: folder)
        let credentials = GraphQLClient(server).credentials
        // Accepted connections are spread over the loops in turn: some of these share the
        // resuming socket's loop.
        let resumer = try await GraphQLSocket.connect(server)
        var others: [GraphQLSocket] = []
        for _ in 0..<4 {
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(credentials)
            others.append(socket)
        }
        try await resumer.initialize(credentials)
        try await resumer.subscribe("s", "subscription { onCreateMemberDoc { title } }", resumeFrom: 0)

        var slowest: Duration = .zero
        var roundTrips = 0
        let deadline = ContinuousClock.now + .seconds(120)
        while resumer.unreadCount < count, ContinuousClock.now < deadline {
            for socket in others {
                let sent = ContinuousClock.now
                try await socket.send(["type": "ping"])
                let reply = try await socket.next(timeout: .seconds(10))
                #expect(reply["type"] == "pong")
                slowest = max(slowest, ContinuousClock.now - sent)
                roundTrips += 1
            }
        }
        // A replay on the loop held every connection there until it had written it all (2.3 to
        // 3.1 s for 20,000 entries in a debug build on a busy machine); page by page, a round trip
        // waits at most for a page (0.3 to 0.4 s there).
        #expect(slowest < .milliseconds(1500), "the slowest ping round trip during the replay took \(slowest)")
        #expect(roundTrips > 0)

        try await withDeadline(.seconds(30), "the rest of the replay") {
            while resumer.unreadCount < count { try await Task.sleep(for: .milliseconds(20)) }
        }
        let replayed = resumer.takeAll()
        let seqs = replayed.compactMap { $0["payload"]?["extensions"]?["seq"]?.intValue }
        #expect(seqs == Array(1...Int64(count)), "every entry once, in feed order")
        // Then live, with no gap.
        _ = try await GraphQLClient(server).data(#"mutation { createMemberDoc(input: {title: "live"}) { id } }"#)
        let live = try await resumer.nextEvent("s")
        #expect(live["extensions"]?["seq"] == .int(Int64(count) + 1))
        #expect(live["data"]?["onCreateMemberDoc"]?["title"] == "live")
        for socket in others + [resumer] { await socket.close() }
        await server.stop()
    }
}
