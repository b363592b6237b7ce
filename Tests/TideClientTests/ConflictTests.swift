import Foundation
import Synchronization
import Testing
import TideClient
import TideModel
import TideTestSupport

/// Conflict strategies through a real server (ARCHITECTURE §9.1, docs/CONFLICTS.md).
@Suite(.sharedServer()) struct ConflictTests {
    /// Two devices of one user with the same post; `first` changes it and syncs, then `second`
    /// (offline meanwhile) changes it too and syncs: a stale OPTIMISTIC_CONCURRENCY update.
    private func conflictingPostEdit(
        strategy: ConflictPolicy?, maxRetries: Int = 3
    ) async throws -> (first: Device, second: Device, id: String, summary: TideClient.SyncSummary) {
        let server = try SharedServer.server()
        let first = try await Device.signIn(server)
        let second = try await first.sibling(server) { configuration in
            if let strategy { configuration.conflictStrategies["Post"] = strategy }
            configuration.maxConflictRetries = maxRetries
        }
        let post = try await first.client.save("Post", ["title": "draft", "content": "v1", "status": "DRAFT"])
        _ = try await first.client.syncNow()
        _ = try await second.client.syncNow()
        try await first.client.save("Post", ["id": .string(post.id), "title": "first's title"])
        _ = try await first.client.syncNow()
        try await second.client.save("Post", ["id": .string(post.id), "content": "second's content"])
        let summary = try await second.client.syncNow()
        return (first, second, post.id, summary)
    }

    @Test func serverWinsIsTheDefaultForOptimisticConcurrency() async throws {
        let (first, second, id, summary) = try await conflictingPostEdit(strategy: nil)
        defer { Task { await first.close(); await second.close() } }
        #expect(summary.conflicts == 1 && summary.parked == 0)
        let record = try #require(try await second.client.get("Post", id: id))
        #expect(record["title"] == "first's title" && record["content"] == "v1" && record.version == 2 && !record.hasPendingChanges)
        let resolution = try #require(try await second.client.conflicts().first)
        #expect(resolution.strategy == "serverWins" && resolution.outcome == "server kept")
        #expect(resolution.localVersion == 1 && resolution.serverVersion == 2 && resolution.model == "Post" && resolution.recordID == id)
    }

    @Test func clientWinsSendsAgainOnTheServerVersion() async throws {
        let (first, second, id, summary) = try await conflictingPostEdit(strategy: .clientWins)
        defer { Task { await first.close(); await second.close() } }
        #expect(summary.conflicts == 1 && summary.sent == 1)
        let record = try #require(try await second.client.get("Post", id: id))
        #expect(record["title"] == "first's title" && record["content"] == "second's content" && record.version == 3)
        _ = try await first.client.syncNow()
        #expect(try await first.client.get("Post", id: id)?["content"] == "second's content")
    }

    @Test func mergeUsesTheAutomergeRules() async throws {
        let (first, second, id, _) = try await conflictingPostEdit(strategy: .merge)
        defer { Task { await first.close(); await second.close() } }
        let record = try #require(try await second.client.get("Post", id: id))
        // The AUTOMERGE rules know no common ancestor: a scalar that differs keeps the server's
        // value ("v1" is not null), so second's content is dropped, as on the server.
        #expect(record["content"] == "v1" && record["title"] == "first's title" && record.version == 3)
        let resolution = try #require(try await second.client.conflicts().first)
        #expect(resolution.outcome == "merged" && resolution.detail == "dropped: content")
    }

    @Test func appHandlerDecides() async throws {
        let seen = ConflictLog()
        let (first, second, id, _) = try await conflictingPostEdit(strategy: .custom { conflict in
            seen.add(conflict)
            var fields = conflict.localFields
            fields["title"] = .string("merged by hand: \(conflict.server?["title"]?.stringValue ?? "?")")
            return .merged(fields)
        })
        defer { Task { await first.close(); await second.close() } }
        let conflict = try #require(seen.all.first)
        #expect(conflict.operation == .update && conflict.localFields == ["content": "second's content"] && conflict.server?["_version"] == 2)
        #expect(conflict.local?["content"] == "second's content")
        let record = try #require(try await second.client.get("Post", id: id))
        #expect(record["title"] == "merged by hand: first's title" && record["content"] == "second's content")
        #expect(try await second.client.conflicts().first?.strategy == "custom")
    }

    @Test func retriesAreBounded() async throws {
        let (first, second, id, summary) = try await conflictingPostEdit(strategy: .clientWins, maxRetries: 0)
        defer { Task { await first.close(); await second.close() } }
        #expect(summary.parked == 1)
        let entry = try #require(try await second.client.outbox().first)
        #expect(entry.state == .parked && entry.reason?.contains("unresolved conflict") == true)
        #expect(try await second.client.get("Post", id: id)?["content"] == "second's content")
        #expect(try await second.client.conflicts().first?.outcome == "parked")
    }

    @Test func staleDeleteOfAnAutomergeRecordIsSentAgain() async throws {
        let server = try SharedServer.server()
        let first = try await Device.signIn(server)
        let second = try await first.sibling(server)
        defer { Task { await first.close(); await second.close() } }
        let note = try await first.client.save("Note", ["title": "to go", "tags": ["x"]])
        _ = try await first.client.syncNow()
        _ = try await second.client.syncNow()
        try await first.client.save("Note", ["id": .string(note.id), "tags": ["x", "y"]])
        _ = try await first.client.syncNow()
        try await second.client.delete("Note", id: note.id)
        let summary = try await second.client.syncNow()
        #expect(summary.conflicts == 1 && summary.sent == 1)
        #expect(try await second.client.get("Note", id: note.id) == nil)
        _ = try await first.client.syncNow()
        #expect(try await first.client.get("Note", id: note.id) == nil)
    }

    @Test func serverSideMergeIsRecorded() async throws {
        let server = try SharedServer.server()
        let first = try await Device.signIn(server)
        let second = try await first.sibling(server)
        defer { Task { await first.close(); await second.close() } }
        let task = try await first.client.save("Task", ["title": "plan", "status": "TODO", "labels": ["a"]])
        _ = try await first.client.syncNow()
        _ = try await second.client.syncNow()
        try await first.client.save("Task", ["id": .string(task.id), "title": "plan v2", "labels": ["a", "b"]])
        _ = try await first.client.syncNow()
        try await second.client.save("Task", ["id": .string(task.id), "title": "plan v3", "labels": ["a", "c"]])
        let summary = try await second.client.syncNow()
        #expect(summary.conflicts == 1 && summary.sent == 1)
        let record = try #require(try await second.client.get("Task", id: task.id))
        #expect(record["title"] == "plan v2" && record["labels"] == ["a", "b", "c"], "@set labels union; the stale title is dropped")
        let resolution = try #require(try await second.client.conflicts().first)
        #expect(resolution.strategy == "server-automerge" && resolution.detail == "dropped: title")
    }
}

/// Conflicts an app handler saw.
final class ConflictLog: Sendable {
    private let conflicts = Mutex<[Conflict]>([])
    func add(_ conflict: Conflict) { conflicts.withLock { $0.append(conflict) } }
    var all: [Conflict] { conflicts.withLock { $0 } }
}
