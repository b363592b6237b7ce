import Foundation
import Testing
import TideModel

@testable import TideClient

/// A base sync removes the local records the server no longer returned; a record this client
/// created and the server acknowledged while the sync's pages were being read is not one of them.
@Suite struct BaseSyncSweepTests {
    private static let sdl = """
        type Note @model @auth(rules: [{ allow: owner }]) {
          id: ID!
          title: String
        }
        """

    private func acknowledge(_ store: LocalStore, _ id: String) async throws {
        let claimed = try await store.claimDue(now: LocalStore.nowMillis(), limit: 10, busy: [])
        let entry = try #require(claimed.first { $0.recordID == id })
        let record = Record(
            id: id, version: 1, deleted: false, lastChangedAt: LocalStore.nowMillis(), createdAt: "2026-12-02T00:00:00.000Z",
            updatedAt: "2026-12-02T00:00:00.000Z", fields: entry.fields)
        try await store.applyOutcomes([SentEntry(entry: entry, outcome: .acknowledged(record), resolution: nil)])
    }

    @Test func aCreateAcknowledgedDuringABaseSyncIsNotSwept() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try LocalStore(path: folder.appendingPathComponent("local.sqlite").path, schema: try ClientSchema(sdl: Self.sdl))

        _ = try await store.save(model: "Note", id: "old", fields: ["title": "synced before"])
        try await acknowledge(store, "old")
        _ = try await store.save(model: "Note", id: "new", fields: ["title": "written offline"])

        // The base sync starts, reads its pages (the server returns neither record: "old" was
        // deleted there, "new" had not arrived yet), and meanwhile the outbox's send of "new"
        // is acknowledged.
        try await store.beginTrackingSeen()
        try await acknowledge(store, "new")
        let swept = try await store.sweepUnseen(model: "Note")

        #expect(swept == 1)
        #expect(try await store.get(model: "Note", id: "old") == nil)
        #expect(try await store.get(model: "Note", id: "new")?.values["title"] == .string("written offline"))
    }
}
