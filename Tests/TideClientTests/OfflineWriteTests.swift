import Foundation
import GRDB
import Testing
import TideClient
import TideModel
import TideTestSupport

/// Optimistic local writes, the outbox and one-shot sync through a real server.
@Suite(.sharedServer()) struct OfflineWriteTests {
    @Test func offlineWritesCoalesceAndReachAnotherDevice() async throws {
        let server = try SharedServer.server()
        let phone = try await Device.signIn(server)
        defer { Task { await phone.close() } }
        phone.client.setLinkEnabled(false)

        let groceries = try await phone.client.save("Note", ["id": .string("g-\(phone.username)"), "title": "groceries", "tags": ["milk"]])
        #expect(groceries.hasPendingChanges && groceries.version == nil)
        try await phone.client.save("Note", ["id": .string("g-\(phone.username)"), "priority": 2])
        let scratch = try await phone.client.save("Note", ["title": "scratch"])
        try await phone.client.save("Note", ["id": .string(scratch.id), "done": true])
        try await phone.client.delete("Note", id: scratch.id)
        #expect(try await phone.client.get("Note", id: scratch.id) == nil)
        let outbox = try await phone.client.outbox()
        #expect(outbox.map(\.operation) == [.create], "create+update → one create; create+update+delete → nothing")
        #expect(outbox.first?.fields["priority"] == 2 && outbox.first?.fields["title"] == "groceries")

        let offline = try await phone.client.syncNow()
        #expect(offline.offline && offline.sent == 0)
        phone.client.setLinkEnabled(true)
        let summary = try await phone.client.syncNow()
        #expect(summary.sent == 1 && summary.parked == 0)
        let synced = try #require(try await phone.client.get("Note", id: "g-\(phone.username)"))
        #expect(!synced.hasPendingChanges && synced.version == 1 && synced["owner"] != nil, "the server's answer replaces the local copy")

        // Nothing of the cancelled note reached the server, not even a tombstone.
        let direct = try await phone.graphQL(server)
        let all = try await direct.data("{ syncNotes(limit: 100) { items { id _deleted } } }")
        #expect(all["syncNotes"]?["items"]?.arrayValue?.map { $0["id"] } == [.string("g-\(phone.username)")])

        // Notes only: posts and comments of other tests' users are readable by every user.
        let laptop = try await phone.sibling(server) { $0.models = ["Note"] }
        defer { Task { await laptop.close() } }
        let pulled = try await laptop.client.syncNow()
        #expect(pulled.received == 1)
        let copy = try #require(try await laptop.client.get("Note", id: "g-\(phone.username)"))
        #expect(copy["title"] == "groceries" && copy["priority"] == 2 && copy["tags"] == ["milk"] && copy.version == 1)
    }

    /// A sync describes the changes it applies (`changes`) only while someone listens: the
    /// records land alike either way.
    @Test func syncDescribesChangesOnlyToListeners() async throws {
        let server = try SharedServer.server()
        let phone = try await Device.signIn(server)
        defer { Task { await phone.close() } }
        for index in 0..<3 {
            try await phone.client.save("Note", ["id": .string("c\(index)-\(phone.username)"), "title": .string("note \(index)")])
        }
        #expect(try await phone.client.syncNow().sent == 3)

        let listened = try await phone.sibling(server) { $0.models = ["Note"] }
        let unheard = try await phone.sibling(server) { $0.models = ["Note"] }
        defer { Task { await listened.close(); await unheard.close() } }
        let changes = ChangeLog(listened.client.changes)
        #expect(try await listened.client.syncNow().received == 3)
        try await eventually("the changes were handed out") { changes.all.count == 3 }
        #expect(Set(changes.all.map(\.id)) == Set((0..<3).map { "c\($0)-\(phone.username)" }))
        #expect(changes.all.allSatisfy { $0.operation == .create && $0.version == 1 && $0.record?["title"] != nil })

        #expect(try await unheard.client.syncNow().received == 3)
        #expect(try await unheard.client.query("Note") == listened.client.query("Note"))
    }

    @Test func badInputIsRefusedAndWritesNothing() async throws {
        let server = try SharedServer.server()
        let device = try await Device.signIn(server)
        defer { Task { await device.close() } }
        let client = device.client
        func kind(_ body: () async throws -> Void) async -> TideClientError.Kind? {
            do {
                try await body()
                return nil
            } catch let error as TideClientError {
                return error.kind
            } catch {
                return nil
            }
        }
        #expect(await kind { _ = try await client.save("Nope", ["title": "x"]) } == .badInput)
        #expect(await kind { _ = try await client.save("Note", ["title": "x", "colour": "red"]) } == .badInput)
        #expect(await kind { _ = try await client.save("Note", ["title": 12]) } == .badInput)
        #expect(await kind { _ = try await client.save("Note", ["priority": 1]) } == .badInput, "title is required")
        #expect(await kind { _ = try await client.save("Note", ["title": "x", "dueAt": "tomorrow"]) } == .badInput)
        #expect(await kind { _ = try await client.save("Post", ["title": "x", "status": "LOST"]) } == .badInput)
        #expect(await kind { _ = try await client.save("Post", ["title": "x", "status": "DRAFT", "cover": ["width": 3]]) } == .badInput)
        #expect(await kind { _ = try await client.query("Note", filter: ["colour": ["eq": "red"]]) } == .badInput)
        #expect(await kind { _ = try await client.query("Note", filter: ["done": ["gt": true]]) } == .badInput)
        #expect(await kind { _ = try await client.query("Note", filter: ["priority": ["eq": "high"]]) } == .badInput)
        #expect(await kind { _ = try await client.query("Note", sort: [SortKey("tags")]) } == .badInput)
        #expect(try await client.outbox().isEmpty)
        #expect(try await client.query("Note").isEmpty)
    }

    @Test func poisonedEntryParksWhileTheRestSyncs() async throws {
        let server = try SharedServer.server()
        let alice = try await Device.signIn(server)
        let bob = try await Device.signIn(server)
        defer { Task { await alice.close(); await bob.close() } }
        let post = try await alice.client.save("Post", ["title": "alice's post", "status": "PUBLISHED"])
        _ = try await alice.client.syncNow()
        _ = try await bob.client.syncNow()
        #expect(try await bob.client.get("Post", id: post.id)?["title"] == "alice's post", "signed-in users may read posts")

        // Bob may read but not write alice's post: the server refuses, the entry parks.
        try await bob.client.save("Post", ["id": .string(post.id), "title": "bob was here"])
        try await bob.client.save("Note", ["id": .string("bob-note-\(bob.username)"), "title": "mine"])
        let summary = try await bob.client.syncNow()
        #expect(summary.parked == 1 && summary.sent == 1)
        // A write queued behind a parked entry is not merged into it: it waits.
        try await bob.client.save("Post", ["id": .string(post.id), "status": "ARCHIVED"])
        #expect(try await bob.client.syncNow().parked == 0)
        let entries = try await bob.client.outbox()
        #expect(entries.count == 2, "the parked write and the one queued behind it for the same record")
        let parked = try #require(entries.first)
        #expect(parked.state == .parked && parked.reason?.contains("FORBIDDEN") == true)
        #expect(entries.last?.state == .pending && entries.last?.attempts == 0, "later writes of the parked record wait")
        #expect(try await bob.client.get("Post", id: post.id)?["title"] == "bob was here", "the local copy keeps the write until it is discarded")
        #expect(try await bob.client.get("Note", id: "bob-note-\(bob.username)")?.version == 1)

        try await bob.client.retryOutboxEntry(parked.id)
        #expect(try await bob.client.syncNow().parked == 1, "retried, refused again")
        try await bob.client.discardOutboxEntry(try #require(try await bob.client.outbox().first).id)
        #expect(try await bob.client.outbox().isEmpty)
        let restored = try #require(try await bob.client.get("Post", id: post.id))
        #expect(restored["title"] == "alice's post" && restored["status"] == "PUBLISHED" && !restored.hasPendingChanges)
    }

    /// Writes of one model and kind travel together (aliased root fields of one request); the
    /// server answers each on its own, so a refused one parks alone and the rest are taken.
    @Test func aRefusedWriteParksAloneWhileTheOthersOfItsRequestAreTaken() async throws {
        let server = try SharedServer.server()
        let alice = try await Device.signIn(server)
        let bob = try await Device.signIn(server)
        defer { Task { await alice.close(); await bob.close() } }
        let hers = try await alice.client.save("Post", ["title": "alice's post", "status": "PUBLISHED"])
        _ = try await alice.client.syncNow()
        var his: [String] = []
        for i in 0..<2 { his.append(try await bob.client.save("Post", ["title": .string("bob \(i)"), "status": "DRAFT"]).id) }
        _ = try await bob.client.syncNow()

        bob.client.setLinkEnabled(false)
        try await bob.client.save("Post", ["id": .string(his[0]), "title": "bob 0, edited"])
        try await bob.client.save("Post", ["id": .string(hers.id), "title": "bob was here"])
        try await bob.client.save("Post", ["id": .string(his[1]), "title": "bob 1, edited"])
        for i in 0..<11 { try await bob.client.save("Note", ["id": .string("n\(i)-\(bob.username)"), "title": "offline"]) }
        bob.client.setLinkEnabled(true)
        let summary = try await bob.client.syncNow()
        #expect(summary.parked == 1 && summary.sent == 13, "\(summary)")
        let outbox = try await bob.client.outbox()
        #expect(outbox.count == 1 && outbox.first?.recordID == hers.id && outbox.first?.reason?.contains("FORBIDDEN") == true)
        for (i, id) in his.enumerated() {
            let post = try #require(try await bob.client.get("Post", id: id))
            #expect(post["title"] == .string("bob \(i), edited") && post.version == 2 && !post.hasPendingChanges)
        }
        let direct = try await bob.graphQL(server)
        let notes = try await direct.data("{ listNotes(limit: 100) { items { id title } } }")["listNotes"]?["items"]?.arrayValue ?? []
        #expect(notes.count == 11 && notes.allSatisfy { $0["title"] == "offline" })
    }

    @Test func createWhoseAnswerWasLostIsAcknowledged() async throws {
        let server = try SharedServer.server()
        let device = try await Device.signIn(server)
        defer { Task { await device.close() } }
        device.client.setLinkEnabled(false)
        let id = "lost-\(device.username)"
        try await device.client.save("Note", ["id": .string(id), "title": "sent once", "tags": ["a"]])
        // The create reached the server, but the process died before the answer was applied:
        // the entry shows one attempt, and the server holds the record.
        let direct = try await device.graphQL(server)
        _ = try await direct.data(
            #"mutation { createNote(input: {id: "\#(id)", title: "sent once", tags: ["a"]}) { id } }"#)
        let store = try DatabaseQueue(path: device.directory.appendingPathComponent(Self.storePath(device)).path)
        try await store.write { try $0.execute(sql: "UPDATE outbox SET attempts = 1") }
        try store.close()

        device.client.setLinkEnabled(true)
        let summary = try await device.client.syncNow()
        #expect(summary.sent == 1 && summary.conflicts == 0 && summary.parked == 0)
        let record = try #require(try await device.client.get("Note", id: id))
        #expect(record.version == 1 && record["tags"] == ["a"] && !record.hasPendingChanges, "no duplicate, lists not doubled")
        #expect(try await device.client.conflicts().isEmpty)
    }

    @Test func createRetriedOnAnIdAnotherDeviceTookIsAConflictNotAnAcknowledgement() async throws {
        let server = try SharedServer.server()
        let device = try await Device.signIn(server)
        defer { Task { await device.close() } }
        device.client.setLinkEnabled(false)
        let id = "retried-\(device.username)"
        try await device.client.save("Post", ["id": .string(id), "title": "mine", "status": "DRAFT"])
        // The first attempt never reached the server (unreachable, or the process was killed
        // before it sent); meanwhile another device created the same id.
        let direct = try await device.graphQL(server)
        _ = try await direct.data(#"mutation { createPost(input: {id: "\#(id)", title: "theirs", status: PUBLISHED}) { id } }"#)
        let store = try DatabaseQueue(path: device.directory.appendingPathComponent(Self.storePath(device)).path)
        try await store.write { try $0.execute(sql: "UPDATE outbox SET attempts = 1") }
        try store.close()

        device.client.setLinkEnabled(true)
        let summary = try await device.client.syncNow()
        #expect(summary.conflicts == 1 && summary.parked == 0, "\(summary)")
        let resolution = try #require(try await device.client.conflicts().first)
        #expect(resolution.strategy == "serverWins" && resolution.outcome == "server kept", "the dropped write is recorded")
        let record = try #require(try await device.client.get("Post", id: id))
        #expect(record["title"] == "theirs" && record["status"] == "PUBLISHED" && !record.hasPendingChanges)
    }

    @Test func createOfAnIdTakenByAnotherDeviceIsAConflict() async throws {
        let server = try SharedServer.server()
        let device = try await Device.signIn(server)
        defer { Task { await device.close() } }
        device.client.setLinkEnabled(false)
        let id = "taken-\(device.username)"
        try await device.client.save("Note", ["id": .string(id), "title": "mine", "tags": ["b"]])
        let direct = try await device.graphQL(server)
        _ = try await direct.data(#"mutation { createNote(input: {id: "\#(id)", title: "theirs", tags: ["a"]}) { id } }"#)
        device.client.setLinkEnabled(true)
        let summary = try await device.client.syncNow()
        #expect(summary.conflicts == 1 && summary.sent == 1)
        let record = try #require(try await device.client.get("Note", id: id))
        // AUTOMERGE (the Note default, `merge`): their title stays, the lists join.
        #expect(record["title"] == "theirs" && record["tags"] == ["a", "b"] && record.version == 2)
        let resolution = try #require(try await device.client.conflicts().first)
        #expect(resolution.strategy == "merge" && resolution.outcome == "merged" && resolution.detail?.contains("title") == true)
    }

    /// The store file of a device, relative to its store directory.
    static func storePath(_ device: Device) -> String {
        let server = device.client.configuration.server
        return "\(server.host!)-\(server.port!)/\(device.client.currentUser!.id)/tide.sqlite"
    }
}


/// A server that refuses a request as a whole (here: one allowing a single alias, so every
/// request of several writes fails validation) gets the writes again one a request: each is
/// answered on its own and nothing parks for another write's sake.
@Suite(.sharedServer(["maxAliases": 1])) struct WholeRequestRefusalTests {
    @Test func writesRefusedTogetherAreSentAgainOneARequest() async throws {
        let server = try SharedServer.server()
        let phone = try await Device.signIn(server)
        defer { Task { await phone.close() } }
        phone.client.setLinkEnabled(false)
        for i in 0..<5 { try await phone.client.save("Note", ["id": .string("r\(i)-\(phone.username)"), "title": "queued"]) }
        phone.client.setLinkEnabled(true)
        let summary = try await phone.client.syncNow()
        #expect(summary.sent == 5 && summary.parked == 0, "\(summary)")
        #expect(try await phone.client.outbox().isEmpty)
        for i in 0..<5 { #expect(try await phone.client.get("Note", id: "r\(i)-\(phone.username)")?.version == 1) }
    }
}
