import Foundation
import TideModel
import TideStore
import Testing

@Suite("Change feed", .timeLimit(.minutes(5)))
struct FeedTests {
    @Test func entriesCarryOperationsAndImages() async throws {
        try await withStore { store in
            #expect(store.feedHead == 0)
            // Images hold every set field (lists and embedded objects too) and leave out unset ones.
            let created = try await store.create(
                model: "Note", id: "n", values: ["title": "a", "rank": 1, "tags": ["x", "y"], "address": ["city": "Oslo", "zip": "0150"]],
                condition: nil, actor: "u1")
            let updated = try await store.update(
                model: "Note", id: "n", expectedVersion: 1, values: ["rank": 2], condition: nil, actor: "u2")
            let deleted = try await store.delete(model: "Note", id: "n", expectedVersion: 2, condition: nil, actor: "u3")
            #expect(store.feedHead == 3)

            let entries = try store.feed(after: 0, limit: 10)
            #expect(entries.map(\.seq) == [1, 2, 3])
            #expect(entries.map(\.operation) == [.insert, .modify, .remove])
            #expect(entries.map(\.version) == [1, 2, 3])
            #expect(entries.map(\.actor) == ["u1", "u2", "u3"])
            #expect(entries.allSatisfy { $0.model == "Note" && $0.id == "n" && $0.reason == nil })
            #expect(entries[0].oldImage == nil)
            #expect(entries[0].newImage == created.values())
            #expect(entries[0].newImage?["body"] == nil)
            #expect(entries[0].newImage?["address"] == ["city": "Oslo", "zip": "0150"])
            #expect(entries[1].oldImage == created.values())
            #expect(entries[1].newImage == updated.values())
            #expect(entries[2].oldImage == updated.values())
            #expect(entries[2].newImage == deleted.values())
            #expect(entries[2].newImage?["_deleted"] == .bool(true))
            #expect(entries[2].timestamp == deleted.lastChangedAt)

            #expect(try store.feed(after: 1, limit: 1).map(\.seq) == [2])
            #expect(try store.feed(after: 3, limit: 10).isEmpty)
        }
    }

    /// Many concurrent writes, some doomed; the feed must hold exactly the successful ones,
    /// with seqs 1…N and no holes even though failed jobs shared their batches.
    @Test func seqIsContiguousWhenJobsInTheSameBatchFail() async throws {
        try await withStore { store in
            for i in 0..<20 {
                _ = try await store.create(model: "Comment", id: "pre\(i)", values: ["postId": "p", "votes": 0], condition: nil, actor: "setup")
            }
            enum Outcome: Sendable { case ok(Record), failed }
            let outcomes = await withTaskGroup(of: Outcome.self, returning: [Outcome].self) { group in
                for i in 0..<300 {
                    group.addTask {
                        do {
                            switch i % 6 {
                            case 0:  // doomed: duplicate id
                                return .ok(try await store.create(model: "Comment", id: "pre\(i % 20)", values: ["postId": "x"], condition: nil, actor: "w"))
                            case 1:  // doomed: stale version
                                return .ok(try await store.update(model: "Comment", id: "pre\(i % 20)", expectedVersion: 99, values: ["votes": 1], condition: nil, actor: "w"))
                            case 2:  // doomed: condition
                                return .ok(try await store.update(model: "Comment", id: "pre\(i % 20)", expectedVersion: nil, values: ["votes": 1], condition: .field("votes", .lt(0)), actor: "w"))
                            case 3:  // fine: increments without version
                                return .ok(try await store.update(model: "Comment", id: "pre\(i % 20)", expectedVersion: nil, values: ["body": .string("b\(i)")], condition: nil, actor: "w"))
                            default:
                                return .ok(try await store.create(model: "Comment", id: "new\(i)", values: ["postId": .string("p\(i % 3)")], condition: nil, actor: "w"))
                            }
                        } catch {
                            return .failed
                        }
                    }
                }
                var all: [Outcome] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let succeeded = outcomes.compactMap { if case .ok(let r) = $0 { r } else { nil } }
            #expect(succeeded.count == 300 - 150)  // cases 0, 1, 2 all fail

            let total = Int64(20 + succeeded.count)
            #expect(store.feedHead == total)
            let entries = try store.feed(after: 0, limit: 1000)
            #expect(entries.map(\.seq) == Array(1...total))
            // Each successful write appears once, with its version and image.
            let byKey = Dictionary(grouping: entries.dropFirst(20), by: { "\($0.id)#\($0.version)" })
            for record in succeeded {
                let matches = byKey["\(record.id)#\(record.version)"] ?? []
                #expect(matches.count == 1)
                #expect(matches.first?.newImage == record.values())
            }
            #expect(store.statistics.writesFailed >= 150)
        }
    }

    @Test func checkpointsPersistAcrossReopen() async throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try openStore(directory)
            #expect(try store.checkpoint(consumer: "search") == nil)
            try await store.saveCheckpoint(consumer: "search", seq: 5)
            try await store.saveCheckpoint(consumer: "search", seq: 7)
            try await store.saveCheckpoint(consumer: "notify", seq: 2)
            #expect(try store.checkpoint(consumer: "search") == 7)
            store.close()
        }
        let reopened = try openStore(directory)
        defer { reopened.close() }
        #expect(try reopened.checkpoint(consumer: "search") == 7)
        #expect(try reopened.checkpoint(consumer: "notify") == 2)
        #expect(try reopened.checkpoint(consumer: "other") == nil)
    }

    @Test func purgeHonoursRetentionAndTheLowestCheckpoint() async throws {
        try await withStore { store in
            for i in 0..<10 {
                _ = try await store.create(model: "Comment", id: "c\(i)", values: ["postId": "p"], condition: nil, actor: "a")
            }
            _ = try await store.delete(model: "Comment", id: "c0", expectedVersion: nil, condition: nil, actor: "a")
            try await store.saveCheckpoint(consumer: "slow", seq: 4)

            // Nothing is old enough yet.
            let early = try await store.purge()
            #expect(early.tombstones == 0 && early.feedEntries == 0)

            // Far in the future: everything is past retention, but the feed stops at the checkpoint.
            let future = Date().addingTimeInterval(60 * 86_400)
            let purged = try await store.purge(now: future)
            #expect(purged.tombstones == 1)
            #expect(purged.feedEntries == 4)
            #expect(try store.feed(after: 0, limit: 100).map(\.seq) == Array(5...11))
            #expect(try store.get(model: "Comment", id: "c0", includeDeleted: true) == nil)

            try await store.saveCheckpoint(consumer: "slow", seq: 11)
            let rest = try await store.purge(now: future)
            #expect(rest.feedEntries == 7)
            #expect(try store.feed(after: 0, limit: 100).isEmpty)
            #expect(store.feedHead == 11)

            // Seqs are never reused after a purge.
            _ = try await store.create(model: "Comment", id: "later", values: ["postId": "p"], condition: nil, actor: "a")
            #expect(try store.feed(after: 0, limit: 10).map(\.seq) == [12])
            #expect(store.feedHead == 12)
        }
    }
}
