import Foundation
import TideModel
import TideStore
import Testing

@Suite("Group commit and durability", .timeLimit(.minutes(5)))
struct GroupCommitTests {
    @Test func concurrentWritesShareTransactions() async throws {
        try await withStore { store in
            let ids = try await withThrowingTaskGroup(of: String.self, returning: [String].self) { group in
                for i in 0..<200 {
                    group.addTask {
                        try await store.create(model: "Comment", id: "c\(i)", values: ["postId": "p", "votes": .int(Int64(i))], condition: nil, actor: "a").id
                    }
                }
                var ids: [String] = []
                for try await id in group { ids.append(id) }
                return ids
            }
            #expect(ids.count == 200)
            let stats = store.statistics
            #expect(stats.writesCommitted == 200)
            #expect(stats.largestBatchSize > 1)
            #expect(stats.commits < 200)
            #expect(stats.batchSizeSum == 200)
            #expect(stats.batchSizeBucketCounts.reduce(0, +) == stats.commits)
            #expect(store.feedHead == 200)
        }
    }

    @Test func batchSizeIsCapped() async throws {
        try await withStore(maxBatchSize: 4) { store in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<64 {
                    group.addTask {
                        _ = try await store.create(model: "Comment", id: "c\(i)", values: ["postId": "p"], condition: nil, actor: "a")
                    }
                }
                try await group.waitForAll()
            }
            #expect(store.statistics.largestBatchSize <= 4)
            #expect(store.statistics.writesCommitted == 64)
        }
    }

    @Test func committedWritesSurviveReopen() async throws {
        let directory = try TemporaryDirectory()
        var expected: [Record] = []
        do {
            let store = try openStore(directory)
            for i in 0..<30 {
                expected.append(
                    try await store.create(
                        model: "Note", id: "n\(i)", values: ["title": .string("t\(i)"), "tags": ["x", .string("\(i)")]],
                        condition: nil, actor: "a"))
            }
            expected[3] = try await store.update(model: "Note", id: "n3", expectedVersion: 1, values: ["rank": 9], condition: nil, actor: "a")
            expected[4] = try await store.delete(model: "Note", id: "n4", expectedVersion: 1, condition: nil, actor: "a")
            store.close()
        }
        let reopened = try openStore(directory)
        defer { reopened.close() }
        #expect(reopened.feedHead == 32)
        for record in expected {
            #expect(try reopened.get(model: "Note", id: record.id, includeDeleted: true) == record)
        }
        #expect(try listAll(reopened, model: "Note", query: ListQuery(limit: 7)).count == 29)
        // Writing continues the feed.
        _ = try await reopened.create(model: "Note", id: "n30", values: ["title": "t"], condition: nil, actor: "a")
        #expect(try reopened.feed(after: 32, limit: 5).map(\.seq) == [33])
    }
}
