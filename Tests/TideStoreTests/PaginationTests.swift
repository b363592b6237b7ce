import Foundation
import TideModel
import TideStore
import Testing

@Suite("Keyset pagination", .timeLimit(.minutes(5)))
struct PaginationTests {
    static func createNotes(_ store: Store, ids: [String], values: @Sendable @escaping (Int) -> [String: JSONValue]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, id) in ids.enumerated() {
                group.addTask { _ = try await store.create(model: "Note", id: id, values: values(i), condition: nil, actor: "a") }
            }
            try await group.waitForAll()
        }
    }

    @Test func primaryOrderPagesYieldEachRecordOnceInOrder() async throws {
        try await withStore { store in
            let ids = (0..<250).map { "n" + pad3($0) }.shuffled()
            try await Self.createNotes(store, ids: ids) { ["title": .string("t\($0)")] }
            for descending in [false, true] {
                var pages = 0
                var query = ListQuery(descending: descending, limit: 50)
                var seen: [String] = []
                while true {
                    let page = try store.list(model: "Note", query: query)
                    pages += 1
                    seen += page.records.map(\.id)
                    #expect(page.records.count == 50)
                    guard let next = page.next else { break }
                    #expect(next.order == "pk")
                    query.after = next
                }
                #expect(pages == 5)
                #expect(seen == (descending ? ids.sorted().reversed() : ids.sorted()))
            }
        }
    }

    @Test func pagesStayCorrectWhileRowsAreInsertedAndDeleted() async throws {
        try await withStore(durability: .normal) { store in
            let ids = (0..<250).map { "n" + pad3($0) + "-b" }
            try await Self.createNotes(store, ids: ids) { ["title": .string("t\($0)")] }
            let writer = Task {
                // Interleaved ids (before, between and after the originals), plus deletes of new ones.
                for i in 0..<200 {
                    let id = "n" + pad3((i * 37) % 260) + (i % 2 == 0 ? "-a" : "-c")
                    _ = try await store.create(model: "Note", id: id, values: ["title": "new"], condition: nil, actor: "w")
                    if i % 5 == 0 {
                        _ = try await store.delete(model: "Note", id: id, expectedVersion: nil, condition: nil, actor: "w")
                    }
                }
            }
            var query = ListQuery(limit: 50)
            var seen: [String] = []
            for _ in 0..<1000 {
                let page = try store.list(model: "Note", query: query)
                seen += page.records.map(\.id)
                guard let next = page.next else { break }
                query.after = next
                await Task.yield()
            }
            try await writer.value
            #expect(seen == seen.sorted())
            #expect(Set(seen).count == seen.count)  // no duplicates
            let originals = seen.filter { $0.hasSuffix("-b") }
            #expect(originals == ids)  // every original exactly once
        }
    }

    @Test func indexPagesFollowSortKeyThenID() async throws {
        try await withStore { store in
            // 120 comments on one post (many share a createdAt millisecond), 40 on another.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<160 {
                    group.addTask {
                        _ = try await store.create(
                            model: "Comment", id: "c\(i)", values: ["postId": i < 120 ? "p1" : "p2", "votes": .int(Int64(i % 7))],
                            condition: nil, actor: "a")
                    }
                }
                try await group.waitForAll()
            }
            let all = try listAll(store, model: "Comment", query: ListQuery(limit: 1000))
            let expected = all.filter { $0.fields["postId"] == "p1" }
                .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }.map(\.id)
            #expect(expected.count == 120)

            for descending in [false, true] {
                let byIndex = try listAll(
                    store, model: "Comment",
                    query: ListQuery(index: IndexQuery(indexName: "byPost", hashValue: "p1"), descending: descending, limit: 7))
                #expect(byIndex.map(\.id) == (descending ? expected.reversed() : expected))
                // The same order when the filter pins the hash key, with a filter applied in SQL.
                let filtered = try listAll(
                    store, model: "Comment",
                    query: ListQuery(
                        filter: .and([.field("postId", .eq("p1")), .field("votes", .ge(3))]), descending: descending, limit: 7))
                let expectedFiltered = expected.filter { id in all.first { $0.id == id }!.fields["votes"]!.intValue! >= 3 }
                #expect(filtered.map(\.id) == (descending ? expectedFiltered.reversed() : expectedFiltered))
            }

            // Sort key conditions.
            let createdAts = all.filter { $0.fields["postId"] == "p1" }.map(\.createdAt).sorted()
            let middle = createdAts[60]
            let after = try listAll(
                store, model: "Comment",
                query: ListQuery(index: IndexQuery(indexName: "byPost", hashValue: "p1", sortCondition: .gt([.string(middle)])), limit: 9))
            #expect(after.count == createdAts.filter { $0 > middle }.count)
            let prefix = String(middle.prefix(4))
            let begins = try listAll(
                store, model: "Comment",
                query: ListQuery(index: IndexQuery(indexName: "byPost", hashValue: "p1", sortCondition: .beginsWith([.string(prefix)])), limit: 50))
            #expect(begins.count == 120)
            let none = try store.list(
                model: "Comment", query: ListQuery(index: IndexQuery(indexName: "byPost", hashValue: "p1", sortCondition: .beginsWith(["1999"]))))
            #expect(none.records.isEmpty && none.next == nil)
        }
    }

    /// Ordering by an index whose sort key may be NULL (Note.byOwner sorts by the optional `rank`).
    @Test func nullableSortKeysPageCorrectly() async throws {
        try await withStore { store in
            try await Self.createNotes(store, ids: (0..<40).map { "n\($0)" }) { i in
                ["title": "t", "owner": i % 4 == 0 ? "other" : "u", "rank": i % 3 == 0 ? .null : .int(Int64(i % 5))]
            }
            let all = try listAll(store, model: "Note", query: ListQuery(limit: 100)).filter { $0.fields["owner"] == "u" }
            func key(_ r: Record) -> (Int64, String) { (r.fields["rank"]?.intValue ?? Int64.min, r.id) }
            let ascending = all.sorted { key($0) < key($1) }.map(\.id)
            for descending in [false, true] {
                let paged = try listAll(
                    store, model: "Note", query: ListQuery(filter: .field("owner", .eq("u")), descending: descending, limit: 3))
                #expect(paged.map(\.id) == (descending ? ascending.reversed() : ascending))
                // The index query leaves out records without a sort key value (sparse index).
                let indexed = try listAll(
                    store, model: "Note",
                    query: ListQuery(index: IndexQuery(indexName: "byOwner", hashValue: "u"), descending: descending, limit: 4))
                let withRank = ascending.filter { id in all.first { $0.id == id }!.fields["rank"] != nil }
                #expect(indexed.map(\.id) == (descending ? withRank.reversed() : withRank))
            }
            let ranged = try listAll(
                store, model: "Note",
                query: ListQuery(index: IndexQuery(indexName: "byOwner", hashValue: "u", sortCondition: .between([1], [3])), limit: 4))
            #expect(ranged.allSatisfy { (1...3).contains($0.fields["rank"]!.intValue!) })
            #expect(ranged.count == all.filter { ($0.fields["rank"]?.intValue).map { (1...3).contains($0) } ?? false }.count)
        }
    }
}

func pad3(_ n: Int) -> String {
    let digits = String(n)
    return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
}
