import Foundation
import TideModel
import TideStore
import Testing

@Suite("Query plans", .timeLimit(.minutes(5)))
struct QueryPlanTests {
    static func expectIndexSearch(_ plan: [String], _ index: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(plan.contains { $0.hasPrefix("SEARCH") && $0.contains("USING INDEX \(index)") }, "\(plan)", sourceLocation: sourceLocation)
        #expect(!plan.contains { $0.contains("SCAN m_") }, "\(plan)", sourceLocation: sourceLocation)
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)", sourceLocation: sourceLocation)
    }

    @Test func indexQueriesSearchTheIndex() async throws {
        try await withStore { store in
            for i in 0..<20 {
                _ = try await store.create(model: "Comment", id: "c\(i)", values: ["postId": .string("p\(i % 4)")], condition: nil, actor: "a")
            }
            let conditions: [SortKeyCondition?] = [
                nil, .eq(["2026-01-01T00:00:00.000Z"]), .gt(["2020"]), .le(["2030"]), .between(["2020"], ["2030"]), .beginsWith(["20"]),
            ]
            for condition in conditions {
                for descending in [false, true] {
                    let query = ListQuery(
                        index: IndexQuery(indexName: "byPost", hashValue: "p1", sortCondition: condition), descending: descending, limit: 5)
                    Self.expectIndexSearch(try store.explainQueryPlan(model: "Comment", query: query), "ix_Comment_byPost")
                    // With a cursor too.
                    let page = try store.list(model: "Comment", query: query)
                    if let next = page.next {
                        var continued = query
                        continued.after = next
                        Self.expectIndexSearch(try store.explainQueryPlan(model: "Comment", query: continued), "ix_Comment_byPost")
                    }
                }
            }
            // Composite-free index on a nullable sort key (Note.byOwner sorts by rank).
            let query = ListQuery(index: IndexQuery(indexName: "byOwner", hashValue: "u", sortCondition: .between([1], [5])))
            Self.expectIndexSearch(try store.explainQueryPlan(model: "Note", query: query), "ix_Note_byOwner")
        }
    }

    @Test func indexedEqFiltersUseTheIndex() async throws {
        try await withStore { store in
            let filters: [FilterExpression] = [
                .field("postId", .eq("p1")),
                .and([.field("postId", .eq("p1")), .field("body", .contains("x"))]),
                .and([.field("votes", .gt(2)), .field("postId", .eq("p1")), .not(.field("body", .eq("y")))]),
            ]
            for filter in filters {
                let plan = try store.explainQueryPlan(model: "Comment", query: ListQuery(filter: filter, limit: 10))
                Self.expectIndexSearch(plan, "ix_Comment_byPost")
                // Its pages are ordered by the index, and the cursor names it.
                _ = try await store.create(model: "Comment", id: UUID().uuidString, values: ["postId": "p1", "votes": 5, "body": "x"], condition: nil, actor: "a")
                _ = try await store.create(model: "Comment", id: UUID().uuidString, values: ["postId": "p1", "votes": 5, "body": "x"], condition: nil, actor: "a")
                let page = try store.list(model: "Comment", query: ListQuery(filter: filter, limit: 1))
                #expect(page.next?.order == "byPost")
                var continued = ListQuery(filter: filter, limit: 1)
                continued.after = page.next
                Self.expectIndexSearch(try store.explainQueryPlan(model: "Comment", query: continued), "ix_Comment_byPost")
            }
            // A nullable sort key (rank) with a cursor still searches the index.
            let filter = FilterExpression.field("owner", .eq("u"))
            var query = ListQuery(filter: filter, limit: 1)
            query.after = Cursor(order: "byOwner", values: [.null], id: "x")
            let plan = try store.explainQueryPlan(model: "Note", query: query)
            #expect(plan.contains { $0.contains("USING INDEX ix_Note_byOwner") }, "\(plan)")
            #expect(!plan.contains { $0.contains("SCAN m_") }, "\(plan)")
        }
    }

    @Test func cursorsFromAnotherOrderingAreRejected() async throws {
        try await withStore { store in
            let foreign = Cursor(order: "pk", values: [], id: "c1")
            var query = ListQuery(index: IndexQuery(indexName: "byPost", hashValue: "p1"))
            query.after = foreign
            #expect(throws: StoreError.self) { try store.list(model: "Comment", query: query) }
            var plain = ListQuery()
            plain.after = Cursor(order: "byPost", values: ["2026"], id: "c1")
            #expect(throws: StoreError.self) { try store.list(model: "Comment", query: plain) }
            var malformed = ListQuery(index: IndexQuery(indexName: "byPost", hashValue: "p1"))
            malformed.after = Cursor(order: "byPost", values: [1], id: "c1")
            #expect(throws: StoreError.self) { try store.list(model: "Comment", query: malformed) }
            #expect(throws: StoreError.self) {
                try store.list(model: "Comment", query: ListQuery(index: IndexQuery(indexName: "nope", hashValue: "p1")))
            }
            #expect(throws: StoreError.self) {
                try store.list(model: "Comment", query: ListQuery(index: IndexQuery(indexName: "byPost", hashValue: 3)))
            }
        }
    }

    @Test func cursorsRoundTripThroughCodable() throws {
        let cursor = Cursor(order: "byPost", values: ["2026-01-01T00:00:00.000Z", 3, 2.5, .null, true], id: "c\"1")
        let data = try JSONEncoder().encode(cursor)
        #expect(try JSONDecoder().decode(Cursor.self, from: data) == cursor)
    }
}
