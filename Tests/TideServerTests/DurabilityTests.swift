import Foundation
import Synchronization
import Testing
import TideModel
import TideSchema
import TideStore
import TideTestSupport

/// Process-level behaviour: crash safety, graceful stop, migrations, the schema CLI.
@Suite struct DurabilityTests {
    /// Concurrent creates, then SIGKILL mid-load: every acknowledged create must be there after
    /// a restart, at its version, and the change feed must have no holes.
    @Test func acknowledgedWritesSurviveSIGKILL() async throws {
        let server = try await ServerProcess()
        // Let load build up, then kill without warning.
        let (acknowledged, _) = try await createUnderLoad(server, idPrefix: "w") { _ in await server.crash() }
        let acked = acknowledged.all
        #expect(acked.count >= 300)
        let missing = try await lostAfterRestart(server, acked)
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(10))")

        // Inspect the feed in the real database file: seq must be 1…N without holes.
        let schema = try SchemaLoader.load(path: ServerProcess.packageRoot.appendingPathComponent("Schema/example.graphql").path)
        let store = try Store(schema: schema, configuration: StoreConfiguration(directory: server.dataDirectory.path))
        var expected: Int64 = 1
        var after: Int64 = 0
        var entries = 0
        while true {
            let batch = try store.feed(after: after, limit: 1000)
            if batch.isEmpty { break }
            for entry in batch {
                #expect(entry.seq == expected)
                expected += 1
            }
            entries += batch.count
            after = batch.last!.seq
        }
        #expect(entries >= acked.count)
        store.close()
        server.removeData()
    }

    /// SIGTERM under concurrent creates: requests in flight are answered, nothing answered is
    /// lost, no request gets a server error, and the process exits 0.
    @Test func sigtermUnderLoadFinishesWhatItAcknowledges() async throws {
        // At debug level the log shows the shutdown's steps, should the stop not finish.
        let server = try await ServerProcess(environment: ["LOG_LEVEL": "debug"])
        let (acknowledged, exitStatus) = try await createUnderLoad(server, idPrefix: "t") { load in
            await server.stop { "requests awaiting a reply: \(load.inFlight.load(ordering: .relaxed))" }
        }
        #expect(exitStatus == 0)
        #expect(acknowledged.serverErrors == 0)
        let acked = acknowledged.all
        #expect(acked.count >= 300)
        let missing = try await lostAfterRestart(server, acked)
        #expect(missing.isEmpty, "acknowledged but lost: \(missing.prefix(10))")
        server.removeData()
    }

    /// Sixteen workers create notes until the server stops answering; once 300 creates are
    /// acknowledged (or after 20 s) `interrupt` stops the server, and its result is returned.
    private func createUnderLoad<Result: Sendable>(
        _ server: ServerProcess, idPrefix: String, interrupt: @escaping @Sendable (Acknowledged) async -> Result
    ) async throws -> (Acknowledged, Result) {
        let client = GraphQLClient(server)
        let acknowledged = Acknowledged()
        let result = try await withThrowingTaskGroup(of: Result?.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for i in 0..<10_000 {
                        let id = "\(idPrefix)\(worker)-\(i)"
                        acknowledged.inFlight.add(1, ordering: .relaxed)
                        defer { acknowledged.inFlight.subtract(1, ordering: .relaxed) }
                        guard let reply = try? await client.post(
                            "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id _version } }",
                            variables: ["input": ["id": .string(id), "title": "under load"]])
                        else { return nil }  // the server died or stopped accepting
                        if reply.status >= 500 { acknowledged.recordServerError() }
                        if let version = reply.json["data"]?["createNote"]?["_version"]?.intValue {
                            acknowledged.record(id, version)
                        }
                    }
                    return nil
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(20)
                while acknowledged.count < 300 && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                return await interrupt(acknowledged)
            }
            var result: Result?
            for try await outcome in group where outcome != nil { result = outcome }
            return result
        }
        return (acknowledged, result!)
    }

    /// The acknowledged creates a restarted server does not have at their version.
    private func lostAfterRestart(_ server: ServerProcess, _ acked: [String: Int64]) async throws -> [String] {
        let restarted = try await ServerProcess(dataDirectory: server.dataDirectory)
        let client = GraphQLClient(restarted)
        var missing: [String] = []
        for (id, version) in acked {
            let data = try await client.data("query G($id: ID!) { getNote(id: $id) { _version } }", variables: ["id": .string(id)])
            if data["getNote"]?["_version"]?.intValue != version { missing.append(id) }
        }
        await restarted.stop()
        return missing
    }

    @Test func sigtermStopsGracefullyWithExitZero() async throws {
        let server = try await ServerProcess()
        _ = try await GraphQLClient(server).data("mutation { createNote(input: {title: \"bye\"}) { id } }")
        let status = await server.stop()
        #expect(status == 0)
        server.removeData()
    }

    /// The databases and their WAL files are created readable by the server's user only.
    @Test func dataFilesAreCreatedWithMode0600() async throws {
        try await withServer { server, client in
            _ = try await client.data("mutation { createNote(input: {title: \"private\"}) { id } }")
            let files = try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory.path).filter { $0.contains(".sqlite") }
            for name in ["tidewater.sqlite", "tidewater.sqlite-wal", "tidewater.sqlite-shm", "identity.sqlite", "search.sqlite"] {
                #expect(files.contains(name), "\(name) among \(files)")
            }
            for name in files {
                let attributes = try FileManager.default.attributesOfItem(atPath: server.dataDirectory.appendingPathComponent(name).path)
                let mode = try #require(attributes[.posixPermissions] as? Int)
                #expect(mode == 0o600, "\(name): \(String(mode, radix: 8))")
            }
        }
    }

    @Test func startingWithAChangedSchemaMigratesOrRefuses() async throws {
        let folder = ServerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let v1 = folder.appendingPathComponent("v1.graphql")
        let v2 = folder.appendingPathComponent("v2.graphql")
        let v3 = folder.appendingPathComponent("v3.graphql")
        try "type Task @model @auth(rules: [{allow: private}]) { id: ID!, title: String!, rank: Int }".write(to: v1, atomically: true, encoding: .utf8)
        try """
            type Task @model @auth(rules: [{allow: private}]) { id: ID!, title: String!, rank: Int, label: String @index(name: "byLabel", queryField: "tasksByLabel") }
            type Tag @model @auth(rules: [{allow: private}]) { id: ID!, name: String }
            """.write(to: v2, atomically: true, encoding: .utf8)
        try "type Task @model @auth(rules: [{allow: private}]) { id: ID!, title: String!, rank: String }".write(to: v3, atomically: true, encoding: .utf8)
        let data = folder.appendingPathComponent("data")

        let first = try await ServerProcess(schema: v1.path, dataDirectory: data)
        _ = try await GraphQLClient(first).data("mutation { createTask(input: {id: \"t1\", title: \"keep me\", rank: 3}) { id } }")
        #expect(await first.stop() == 0)

        let second = try await ServerProcess(schema: v2.path, dataDirectory: data)
        let client = GraphQLClient(second)
        let kept = try await client.data("{ getTask(id: \"t1\") { title rank label } }")
        #expect(kept["getTask"] == ["title": "keep me", "rank": 3, "label": .null])
        _ = try await client.data("mutation { updateTask(input: {id: \"t1\", _version: 1, label: \"x\"}) { id } }")
        let byLabel = try await client.data("{ tasksByLabel(label: \"x\") { items { id } } }")
        #expect(byLabel["tasksByLabel"]?["items"] == [["id": "t1"]])
        _ = try await client.data("mutation { createTag(input: {name: \"new model\"}) { id } }")
        #expect(await second.stop() == 0)

        do {
            _ = try await ServerProcess(schema: v3.path, dataDirectory: data, startTimeout: .seconds(30))
            Issue.record("a type change must be refused")
        } catch let failure as TestFailure {
            #expect(failure.description.contains("Task.rank"))
        }
    }

    @Test func schemaCheckAndPrint() async throws {
        let folder = ServerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("bad.graphql")
        try "type Note @model @ttl(field: \"title\") {\n  id: ID!\n  title: String @nope\n}\n".write(to: bad, atomically: true, encoding: .utf8)
        let check = try await runTidewater(["schema", "check", bad.path])
        #expect(check.status != 0)
        #expect(check.stderr.contains("\(bad.path):3:17:"), "unknown directive reported at its position: \(check.stderr)")
        #expect(check.stderr.contains("@ttl"))

        let example = ServerProcess.packageRoot.appendingPathComponent("Schema/example.graphql").path
        let ok = try await runTidewater(["schema", "check", example])
        #expect(ok.status == 0)
        let printed = try await runTidewater(["schema", "print", example])
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("listNotes(filter: ModelNoteFilterInput, limit: Int, nextToken: String): ModelNoteConnection"))
    }
}

/// Writes the server acknowledged, collected from concurrent workers.
final class Acknowledged: Sendable {
    private let versions = Mutex<[String: Int64]>([:])
    private let failures = Atomic<Int>(0)
    /// Requests sent and not yet answered.
    let inFlight = Atomic<Int>(0)
    func record(_ id: String, _ version: Int64) { versions.withLock { $0[id] = version } }
    var count: Int { versions.withLock { $0.count } }
    var all: [String: Int64] { versions.withLock { $0 } }
    /// Replies with a 5xx status.
    func recordServerError() { failures.add(1, ordering: .relaxed) }
    var serverErrors: Int { failures.load(ordering: .relaxed) }
}
