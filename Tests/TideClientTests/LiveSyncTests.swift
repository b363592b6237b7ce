import Foundation
import Synchronization
import Testing
import TideClient
import TideModel
import TideTestSupport

/// Live sync (subscriptions, reconnects, observation) through a real server.
@Suite(.sharedServer()) struct LiveSyncTests {
    @Test func liveClientReceivesChangesAndSendsWrites() async throws {
        let server = try SharedServer.server()
        let phone = try await Device.signIn(server)
        let laptop = try await phone.sibling(server)
        defer { Task { await phone.close(); await laptop.close() } }
        let seen = StatusLog(phone.client.statusUpdates)
        try phone.client.startLiveSync()
        try await eventually("live") { seen.all.contains(.live) }
        #expect(Array(seen.all.prefix(3)) == [.offline, .connecting, .syncing(model: "Note")])

        let changes = ChangeLog(phone.client.changes)
        try await laptop.client.save("Note", ["id": .string("live-\(phone.username)"), "title": "from the laptop"])
        _ = try await laptop.client.syncNow()
        try await eventually("the event reached the phone") { try await phone.client.get("Note", id: "live-\(phone.username)") != nil }
        #expect(changes.all.contains { $0.id == "live-\(phone.username)" && $0.operation == .create && $0.version == 1 })

        try await phone.client.save("Note", ["id": .string("live-\(phone.username)"), "done": true])
        try await eventually("the phone sent its write") { try await phone.client.outbox().isEmpty }
        _ = try await laptop.client.syncNow()
        #expect(try await laptop.client.get("Note", id: "live-\(phone.username)")?["done"] == true)

        try await laptop.client.delete("Note", id: "live-\(phone.username)")
        _ = try await laptop.client.syncNow()
        try await eventually("the delete reached the phone") { try await phone.client.get("Note", id: "live-\(phone.username)") == nil }
        #expect(changes.all.contains { $0.operation == .delete && $0.id == "live-\(phone.username)" })
    }

    @Test func observeQueryFollowsLocalAndSyncedChanges() async throws {
        let server = try SharedServer.server()
        let phone = try await Device.signIn(server)
        let laptop = try await phone.sibling(server)
        defer { Task { await phone.close(); await laptop.close() } }
        let snapshots = SnapshotLog(phone.client.observeQuery("Note", filter: ["priority": ["ge": 2]], sort: [SortKey("title")]))
        try await eventually("the first snapshot") { snapshots.all.count >= 1 }
        #expect(snapshots.all.first?.isEmpty == true)
        try await phone.client.save("Note", ["id": .string("o1-\(phone.username)"), "title": "b", "priority": 3])
        try await phone.client.save("Note", ["id": .string("o2-\(phone.username)"), "title": "low", "priority": 1])
        try await eventually("the local write") { snapshots.all.last?.count == 1 || snapshots.failure != nil }
        #expect(snapshots.failure == nil)
        #expect(snapshots.all.last?.first?.hasPendingChanges == true)
        _ = try await phone.client.syncNow()
        try await eventually("the acknowledged write") { snapshots.all.last?.first?.hasPendingChanges == false }
        try await laptop.client.save("Note", ["id": .string("o3-\(phone.username)"), "title": "a", "priority": 2])
        _ = try await laptop.client.syncNow()
        _ = try await phone.client.syncNow()
        try await eventually("the synced record, sorted") {
            snapshots.all.last?.map(\.id) == ["o3-\(phone.username)", "o1-\(phone.username)"]
        }
    }

    @Test func clientThatStartedOfflineSyncsWhenTheServerComesBack() async throws {
        // A server of its own on a fixed port: stopped, then started again on the same data.
        let port = Int.random(in: 20_000...40_000)
        let data = ServerProcess.temporaryDirectory()
        var server = try await ServerProcess(dataDirectory: data, extraArguments: ["--port", "\(port)"], signIn: false)
        #expect(server.baseURL.port == port)
        let device = try await Device.signIn(server)
        defer { Task { await device.close() } }
        await server.stop()

        // The app starts with the server unreachable: writes queue, the link keeps trying.
        let restarted = TideClient(configuration: device.client.configuration)
        #expect(try await restarted.restoreSession() != nil, "a stored session opens offline")
        try await restarted.save("Note", ["id": .string("offline-\(device.username)"), "title": "written offline"])
        let seen = StatusLog(restarted.statusUpdates)
        try restarted.startLiveSync()
        try await eventually("a failed attempt") { seen.all.filter { $0 == .connecting }.count >= 1 && seen.all.last == .offline }
        #expect(!seen.all.contains(.live))

        server = try await ServerProcess(dataDirectory: data, extraArguments: ["--port", "\(port)"], signIn: false)
        try await eventually("live after the server came back", timeout: .seconds(60)) { seen.all.last == .live }
        try await eventually("the queued write was sent") { try await restarted.outbox().isEmpty }
        #expect(try await restarted.get("Note", id: "offline-\(device.username)")?.version == 1)

        // The server goes away and comes back while the client is live: it reconnects.
        await server.stop()
        try await eventually("offline") { seen.all.last == .offline }
        server = try await ServerProcess(dataDirectory: data, extraArguments: ["--port", "\(port)"], signIn: false)
        try await eventually("live again", timeout: .seconds(60)) { seen.all.last == .live }
        await restarted.stopLiveSync()
        await server.stop()
        server.removeData()
    }

    @Test func signingInAsAnotherUserShowsNoneOfTheFirstUsersData() async throws {
        let server = try SharedServer.server()
        let alice = try await Device.signIn(server)
        defer { Task { await alice.close() } }
        let note = try await alice.client.save("Note", ["title": "alice's secret"])
        _ = try await alice.client.syncNow()
        try await alice.client.signOut()
        #expect(alice.client.currentUser == nil)
        await #expect(throws: TideClientError.notSignedIn) { _ = try await alice.client.query("Note") }

        let bobName = "b\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await alice.client.signUp(username: bobName, password: testPassword)
        try await alice.client.signIn(username: bobName, password: testPassword)
        #expect(try await alice.client.query("Note").isEmpty)
        #expect(try await alice.client.get("Note", id: note.id) == nil)
        _ = try await alice.client.syncNow()
        #expect(try await alice.client.query("Note").isEmpty)
        try await alice.client.signOut(wipe: true)

        try await alice.client.signIn(username: alice.username, password: testPassword)
        #expect(try await alice.client.get("Note", id: note.id)?["title"] == "alice's secret", "signing out without wipe keeps the store")
        try await alice.client.signOut(wipe: true)
        try await alice.client.signIn(username: alice.username, password: testPassword)
        #expect(try await alice.client.get("Note", id: note.id) == nil, "wiped")
        _ = try await alice.client.syncNow()
        #expect(try await alice.client.get("Note", id: note.id) != nil, "the server still has it")
    }

    @Test func typedModels() async throws {
        struct Note: SyncModel, Equatable {
            static let modelName = "Note"
            var id: String
            var title: String?
            var tags: [String]?
            var priority: Int?
            var done: Bool?
        }
        let server = try SharedServer.server()
        let device = try await Device.signIn(server)
        defer { Task { await device.close() } }
        let saved = try await device.client.save(Note(id: "t-\(device.username)", title: "typed", tags: ["a"], priority: 2))
        #expect(saved.title == "typed" && saved.done == nil)
        try await device.client.save(Note(id: "t-\(device.username)", done: true))
        let read = try #require(try await device.client.get(Note.self, id: "t-\(device.username)"))
        #expect(read == Note(id: "t-\(device.username)", title: "typed", tags: ["a"], priority: 2, done: true), "nil fields kept")
        #expect(try await device.client.query(Note.self, filter: ["done": ["eq": true]]).map(\.id) == ["t-\(device.username)"])
        _ = try await device.client.syncNow()
        #expect(try await device.client.query(Note.self).count == 1)
    }
}

/// Everything an `AsyncStream` yields, collected in the background.
final class Collected<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let error = Mutex<String?>(nil)

    init<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == Element {
        let task = Task { [weak self] in
            do {
                for try await item in sequence { self?.append(item) }
            } catch {
                self?.error.withLock { $0 = "\(error)" }
            }
        }
        self.task.withLock { $0 = task }
    }

    private func append(_ item: Element) {
        items.withLock { $0.append(item) }
    }

    var all: [Element] { items.withLock { $0 } }
    /// The error the sequence ended with, if any.
    var failure: String? { error.withLock { $0 } }

    deinit {
        task.withLock { $0?.cancel() }
    }
}

typealias StatusLog = Collected<SyncStatus>
typealias ChangeLog = Collected<AppliedChange>
typealias SnapshotLog = Collected<[ClientRecord]>
