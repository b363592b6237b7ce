import Foundation
import TideModel
import TideStore
import Testing

@Suite("TTL", .timeLimit(.minutes(5)))
struct TTLTests {
    @Test func expiredRecordsAreInvisibleAtOnceAndSweptWithFeedEntries() async throws {
        try await withStore { store in
            let now = Date()
            let nowSeconds = Int64(now.timeIntervalSince1970)
            for i in 0..<12 {
                // n0…n5 expire in 100 s, n6…n8 in 10 000 s, n9…n11 never.
                let expiry: JSONValue = i < 6 ? .int(nowSeconds + 100) : (i < 9 ? .int(nowSeconds + 10_000) : .null)
                _ = try await store.create(
                    model: "Note", id: "n\(i)", values: ["title": "t", "expiresAt": expiry, "owner": "u", "rank": .int(Int64(i))], condition: nil, actor: "a")
            }
            // Already expired when written: invisible at once, to reads and writes.
            _ = try await store.create(
                model: "Note", id: "gone", values: ["title": "t", "expiresAt": .int(nowSeconds - 10)], condition: nil, actor: "a")
            #expect(try store.get(model: "Note", id: "gone") == nil)
            do throws(StoreError) {
                _ = try await store.update(model: "Note", id: "gone", expectedVersion: nil, values: ["title": "x"], condition: nil, actor: "a")
                Issue.record("updated an expired record")
            } catch {
                guard case .notFound = error else { throw error }
            }

            let later = now.addingTimeInterval(200)
            #expect(try store.get(model: "Note", id: "n0") != nil)
            #expect(try store.get(model: "Note", id: "n0", now: later) == nil)
            #expect(
                Set(try store.list(model: "Note", query: ListQuery(), now: later).records.map(\.id)) == Set((6..<12).map { "n\($0)" }))
            #expect(
                try store.list(model: "Note", query: ListQuery(index: IndexQuery(indexName: "byOwner", hashValue: "u")), now: later)
                    .records.count == 6)
            // Writes use the wall clock: n1 is still alive now.
            _ = try await store.update(model: "Note", id: "n1", expectedVersion: nil, values: ["title": "y"], condition: nil, actor: "a")

            let head = store.feedHead
            let swept = try await store.sweepExpired(now: later, batchSize: 4)
            #expect(swept == 7)
            #expect(try await store.sweepExpired(now: later) == 0)

            let entries = try store.feed(after: head, limit: 100)
            #expect(entries.count == 7)
            #expect(Set(entries.map(\.id)) == Set((0..<6).map { "n\($0)" } + ["gone"]))
            for entry in entries {
                #expect(entry.operation == .remove)
                #expect(entry.reason == "ttl")
                #expect(entry.actor == "system:ttl")
                #expect(entry.newImage?["_deleted"] == .bool(true))
            }
            let tombstone = try #require(try store.get(model: "Note", id: "n1", includeDeleted: true))
            #expect(tombstone.deleted && tombstone.version == 3)
            // Delta sync sees TTL tombstones even though their TTL has passed.
            var sync = ListQuery(filter: .field("_deleted", .eq(true)))
            sync.includeDeleted = true
            #expect(try store.list(model: "Note", query: sync, now: later).records.count == 7)
            #expect(try store.get(model: "Note", id: "n7", now: later) != nil)
        }
    }

    /// Point reads, lists and the sweep draw the line at the same second: a TTL at or before
    /// now has expired, one after it has not, no TTL never expires.
    @Test func readsListsAndTheSweepAgreeOnTheExpirySecond() async throws {
        try await withStore { store in
            let now = Date().addingTimeInterval(1_000)
            let nowSeconds = Int64(now.timeIntervalSince1970)
            let ttls: [String: JSONValue] = [
                "before": .int(nowSeconds - 1), "at": .int(nowSeconds), "after": .int(nowSeconds + 1), "never": .null,
            ]
            for (id, ttl) in ttls {
                _ = try await store.create(model: "Note", id: id, values: ["title": "t", "expiresAt": ttl], condition: nil, actor: "a")
            }
            let live: Set<String> = ["after", "never"]
            #expect(Set(try ttls.keys.filter { try store.get(model: "Note", id: $0, now: now) != nil }) == live)
            #expect(Set(try store.list(model: "Note", query: ListQuery(), now: now).records.map(\.id)) == live)
            let head = store.feedHead
            #expect(try await store.sweepExpired(now: now) == 2)
            #expect(Set(try store.feed(after: head, limit: 10).map(\.id)) == ["before", "at"])
        }
    }
}
