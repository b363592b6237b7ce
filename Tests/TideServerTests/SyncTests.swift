import Foundation
import Logging
import Synchronization
import Testing
import TideIdentity
import TideModel
import TideTestSupport

/// `syncXs` through a real server: deltas, tombstones, exactness under concurrent writes,
/// removals when a record stops being readable, and the base-sync fallback.
@Suite struct SyncTests {
    static let sync = """
        query S($lastSync: AWSTimestamp, $nextToken: String, $limit: Int) {
          syncNotes(lastSync: $lastSync, nextToken: $nextToken, limit: $limit) {
            items { id title _version _deleted _lastChangedAt } nextToken startedAt
          }
        }
        """

    /// Pages through one sync; returns its items, its startedAt and the response extensions.
    static func fullSync(
        _ client: GraphQLClient, field: String = "syncNotes", query: String = sync, lastSync: Int64?, limit: Int = 100
    ) async throws -> (items: [JSONValue], startedAt: Int64, extensions: JSONValue?) {
        var items: [JSONValue] = []
        var token: JSONValue = .null
        var startedAt: Int64?
        var extensions: JSONValue?
        for _ in 0..<10_000 {
            let reply = try await client.post(
                query, variables: ["lastSync": lastSync.map(JSONValue.int) ?? .null, "nextToken": token, "limit": .int(Int64(limit))])
            if let errors = reply.json["errors"] { throw TestFailure("sync failed: \(errors.jsonString)") }
            let page = try #require(reply.json["data"]?[field])
            items += page["items"]?.arrayValue ?? []
            let pageStartedAt = try #require(page["startedAt"]?.intValue)
            if let startedAt { #expect(pageStartedAt == startedAt, "every page of one sync carries the same startedAt") }
            startedAt = pageStartedAt
            extensions = extensions ?? reply.json["extensions"]
            token = page["nextToken"] ?? .null
            if token == .null { return (items, pageStartedAt, extensions) }
        }
        throw TestFailure("sync did not finish")
    }

    @Test func deltaSyncReturnsChangesAndTombstones() async throws {
        try await withServer { _, client in
            let create = "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id } }"
            for id in ["a", "b", "c"] { _ = try await client.data(create, variables: ["input": ["id": .string(id), "title": .string(id)]]) }
            let base = try await Self.fullSync(client, lastSync: nil, limit: 2)
            #expect(Set(base.items.compactMap { $0["id"]?.stringValue }) == ["a", "b", "c"])
            #expect(base.extensions == nil)

            _ = try await client.data("mutation { updateNote(input: {id: \"a\", _version: 1, title: \"a2\"}) { id } }")
            _ = try await client.data("mutation { deleteNote(input: {id: \"b\", _version: 1}) { id } }")
            _ = try await client.data(create, variables: ["input": ["id": "d", "title": "d"]])
            let delta = try await Self.fullSync(client, lastSync: base.startedAt, limit: 2)
            let byID = Dictionary(uniqueKeysWithValues: delta.items.map { ($0["id"]!.stringValue!, $0) })
            #expect(Set(byID.keys) == ["a", "b", "d"])
            #expect(byID["a"]?["title"] == "a2" && byID["a"]?["_version"] == 2)
            #expect(byID["b"]?["_deleted"] == true && byID["b"]?["_version"] == 2)
            #expect(byID["d"]?["_version"] == 1)
            #expect(delta.startedAt >= base.startedAt)

            let quiet = try await Self.fullSync(client, lastSync: delta.startedAt)
            #expect(quiet.items.isEmpty, "nothing changed since: \(quiet.items)")

            let bad = try await client.errorCode(Self.sync, variables: ["nextToken": "forged"])
            #expect(bad == "BAD_USER_INPUT")
            let future = try await client.errorCode(Self.sync, variables: ["lastSync": .int(Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)])
            #expect(future == "BAD_USER_INPUT")
        }
    }

    /// Writers keep writing while a reader syncs again and again with small pages: the reader's
    /// copy ends equal to the server's, and no (id, version) ever arrives twice.
    @Test func syncIsExactUnderConcurrentWrites() async throws {
        try await withServer { _, client in
            let done = StopFlag()
            let writes = 600
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<3 {
                    group.addTask {
                        var records: [String: Int64] = [:]  // id → version
                        for i in 0..<(writes / 3) {
                            let ids = records.keys.sorted()
                            if ids.count < 15 || i % 3 == 0 {
                                let id = "w\(worker)-\(i)"
                                let reply = try await client.post(
                                    "mutation C($input: CreateNoteInput!) { createNote(input: $input) { _version } }",
                                    variables: ["input": ["id": .string(id), "title": "new"]])
                                records[id] = reply.json["data"]?["createNote"]?["_version"]?.intValue
                            } else if i % 7 == 0 {
                                let id = ids[i % ids.count]
                                _ = try await client.post(
                                    "mutation D($input: DeleteNoteInput!) { deleteNote(input: $input) { id } }",
                                    variables: ["input": ["id": .string(id), "_version": .int(records[id]!)]])
                                records[id] = nil
                            } else {
                                let id = ids[i % ids.count]
                                let reply = try await client.post(
                                    "mutation U($input: UpdateNoteInput!) { updateNote(input: $input) { _version } }",
                                    variables: ["input": ["id": .string(id), "_version": .int(records[id]!), "title": .string("v\(i)")]])
                                records[id] = reply.json["data"]?["updateNote"]?["_version"]?.intValue
                            }
                        }
                    }
                }
                group.addTask {
                    // Reader: sync repeatedly until the writers are done, then once more.
                    var local: [String: (version: Int64, deleted: Bool)] = [:]
                    var seen = Set<String>()
                    var duplicates: [String] = []
                    var lastSync: Int64?
                    var rounds = 0
                    while true {
                        let finished = done.isSet
                        let result = try await Self.fullSync(client, lastSync: lastSync, limit: 7)
                        for item in result.items {
                            let id = item["id"]!.stringValue!
                            let version = item["_version"]!.intValue!
                            if !seen.insert("\(id)@\(version)").inserted { duplicates.append("\(id)@\(version)") }
                            if let held = local[id] { #expect(version > held.version, "\(id): \(version) after \(held.version)") }
                            local[id] = (version, item["_deleted"] == true)
                        }
                        lastSync = result.startedAt
                        rounds += 1
                        if finished || rounds > 2_000 { break }
                    }
                    #expect(duplicates.isEmpty, "delivered twice: \(duplicates.prefix(5))")
                    // The server's state, read in one go after the writers stopped.
                    let all = try await Self.fullSync(client, lastSync: nil, limit: 1000)
                    let live = Dictionary(uniqueKeysWithValues: all.items.map { ($0["id"]!.stringValue!, $0["_version"]!.intValue!) })
                    let localLive = local.filter { !$0.value.deleted }.mapValues(\.version)
                    #expect(localLive == live, "missing: \(Set(live.keys).subtracting(localLive.keys).prefix(5)), extra: \(Set(localLive.keys).subtracting(live.keys).prefix(5))")
                    #expect(rounds >= 2, "the reader synced while writes were running")
                }
                // Let the writers finish, then tell the reader.
                try await group.next()
                try await group.next()
                try await group.next()
                done.set()
                try await group.waitForAll()
            }
        }
    }

    static let caseSync = """
        query S($lastSync: AWSTimestamp, $nextToken: String, $limit: Int) {
          syncCaseDocs(lastSync: $lastSync, nextToken: $nextToken, limit: $limit) {
            items { id title _version _deleted } nextToken startedAt
          }
        }
        """

    /// A record handed to someone else reaches the old owner's next sync as a removal.
    @Test func recordsThatStopBeingReadableArriveAsRemovals() async throws {
        try await withAuthServer { env in
            let alice = env.client(.owner)
            let created = try await alice.data("mutation { createCaseDoc(input: {title: \"mine\"}) { id } }")
            let id = try #require(created["createCaseDoc"]?["id"]?.stringValue)
            _ = try await alice.data("mutation { createCaseDoc(input: {title: \"kept\"}) { id } }")
            let first = try await Self.fullSync(alice, field: "syncCaseDocs", query: Self.caseSync, lastSync: nil)
            #expect(first.items.count == 2)

            _ = try await env.client(.groupMember).data(
                "mutation { updateCaseDoc(input: {id: \"\(id)\", _version: 1, owner: \"bob\"}) { id } }")
            let next = try await Self.fullSync(alice, field: "syncCaseDocs", query: Self.caseSync, lastSync: first.startedAt)
            #expect(next.items.count == 1)
            #expect(next.items.first?["id"] == .string(id))
            #expect(next.items.first?["_deleted"] == true, "alice drops her copy")
            #expect(next.items.first?["_version"] == 2)
            #expect(next.items.first?["title"] == "mine", "the last image alice could read, nothing newer")

            let bob = try await Self.fullSync(env.client(.other), field: "syncCaseDocs", query: Self.caseSync, lastSync: nil)
            #expect(bob.items.map { $0["id"] } == [.string(id)], "bob sees only the record now his")
            let carol = try await Self.fullSync(env.client(.groupMember), field: "syncCaseDocs", query: Self.caseSync, lastSync: first.startedAt)
            #expect(carol.items.count == 1 && carol.items.first?["_deleted"] == false, "the admin still reads it: an update, not a removal")
        }
    }

    /// A member removed from a group gets a base sync (flagged) with their next token: the
    /// group's records did not change, so only starting over drops them from the device.
    @Test func leavingAGroupStartsTheNextSyncOver() async throws {
        try await withAuthServer { env in
            let query = """
                query S($lastSync: AWSTimestamp, $nextToken: String, $limit: Int) {
                  syncTeamDocs(lastSync: $lastSync, nextToken: $nextToken, limit: $limit) { items { id title } nextToken startedAt }
                }
                """
            let carol = env.client(.groupMember)
            _ = try await carol.data("mutation { createTeamDoc(input: {title: \"team\", team: \"team-a\"}) { id } }")
            let first = try await Self.fullSync(carol, field: "syncTeamDocs", query: query, lastSync: nil)
            #expect(first.items.count == 1)

            let identity = try IdentityService(store: IdentityStore(directory: env.server.dataDirectory.path), logger: Logger(label: "test"))
            try identity.removeFromGroup(username: "carol", group: "team-a")
            identity.close()
            // The old token still carries team-a: nothing changes for it.
            let sameToken = try await Self.fullSync(carol, field: "syncTeamDocs", query: query, lastSync: first.startedAt)
            #expect(sameToken.extensions == nil && sameToken.items.isEmpty)

            let renewed = GraphQLClient(
                env.server, credentials: ["Authorization": "Bearer " + (try await HTTPClient().signIn(env.server.baseURL, username: "carol"))])
            let after = try await Self.fullSync(renewed, field: "syncTeamDocs", query: query, lastSync: first.startedAt)
            let flag = after.extensions?["baseSync"]?.arrayValue?.first
            #expect(flag?["path"] == ["syncTeamDocs"])
            #expect(flag?["reason"]?.stringValue?.contains("groups") == true)
            #expect(after.items.isEmpty, "the base sync no longer holds the team's record")
        }
    }

    @Test func lastSyncOlderThanRetentionAnswersABaseSync() async throws {
        let folder = ServerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("short-retention.json")
        try #"{"feedRetentionSeconds": 1}"#.write(to: config, atomically: true, encoding: .utf8)
        try await withServer(extraArguments: ["--config", config.path]) { _, client in
            _ = try await client.data("mutation { createNote(input: {id: \"x\", title: \"x\"}) { id } }")
            let first = try await Self.fullSync(client, lastSync: nil)
            _ = try await client.data("mutation { deleteNote(input: {id: \"x\", _version: 1}) { id } }")
            _ = try await client.data("mutation { createNote(input: {id: \"y\", title: \"y\"}) { id } }")
            try await Task.sleep(for: .milliseconds(2_100))
            let stale = try await Self.fullSync(client, lastSync: first.startedAt)
            #expect(stale.extensions?["baseSync"]?.arrayValue?.first?["path"] == ["syncNotes"])
            #expect(stale.items.map { $0["id"] } == ["y"], "a base sync: live records only; the client replaces its copy")
        }
    }
}

/// Tells a looping task to stop, across tasks.
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .acquiring) }
    func set() { flag.store(true, ordering: .releasing) }
}
