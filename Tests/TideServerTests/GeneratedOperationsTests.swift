import Foundation
import Testing
import TideModel
import TideTestSupport

/// Every generated operation through a real server and real HTTP requests.
@Suite struct GeneratedOperationsTests {
    static let noteFields = "id title body tags done priority dueAt expiresAt owner _version _deleted _lastChangedAt createdAt updatedAt"

    @Test func createGetUpdateDeleteRoundTrip() async throws {
        try await withServer { _, client in
            let created = try await client.data(
                "mutation C($input: CreateNoteInput!) { createNote(input: $input) { \(Self.noteFields) } }",
                variables: ["input": ["title": "first", "tags": ["a", "b"], "done": false, "priority": 2, "dueAt": "2026-12-01T10:00:00.000Z"]])
            let note = try #require(created["createNote"])
            let id = try #require(note["id"]?.stringValue)
            #expect(!id.isEmpty)
            #expect(note["title"] == "first")
            #expect(note["tags"] == ["a", "b"])
            #expect(note["priority"] == 2)
            #expect(note["_version"] == 1)
            #expect(note["_deleted"] == false)
            #expect((note["_lastChangedAt"]?.intValue ?? 0) > 1_700_000_000_000)
            #expect(note["createdAt"]?.stringValue?.hasSuffix("Z") == true)

            let got = try await client.data("query G($id: ID!) { getNote(id: $id) { id title _version } }", variables: ["id": .string(id)])
            #expect(got["getNote"]?["title"] == "first")

            let updated = try await client.data(
                "mutation U($input: UpdateNoteInput!) { updateNote(input: $input) { id title done priority _version } }",
                variables: ["input": ["id": .string(id), "_version": 1, "done": true]])
            #expect(updated["updateNote"]?["done"] == true)
            #expect(updated["updateNote"]?["title"] == "first", "fields not in the input keep their value")
            #expect(updated["updateNote"]?["priority"] == 2)
            #expect(updated["updateNote"]?["_version"] == 2)

            let deleted = try await client.data(
                "mutation D($input: DeleteNoteInput!) { deleteNote(input: $input) { id _deleted _version } }",
                variables: ["input": ["id": .string(id), "_version": 2]])
            #expect(deleted["deleteNote"]?["_deleted"] == true)
            #expect(deleted["deleteNote"]?["_version"] == 3)

            let afterDelete = try await client.data("query G($id: ID!) { getNote(id: $id) { id } }", variables: ["id": .string(id)])
            #expect(afterDelete["getNote"] == .null, "tombstones are hidden from getX")
            let listed = try await client.data("{ listNotes { items { id } } }")
            #expect(listed["listNotes"]?["items"] == [])
        }
    }

    @Test func clientChosenIdAndCollision() async throws {
        try await withServer { _, client in
            let mutation = "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id _version } }"
            let data = try await client.data(mutation, variables: ["input": ["id": "offline-1", "title": "made offline"]])
            #expect(data["createNote"]?["id"] == "offline-1")
            let code = try await client.errorCode(mutation, variables: ["input": ["id": "offline-1", "title": "again"]])
            #expect(code == "CONDITION_FAILED")
        }
    }

    /// `Post` is OPTIMISTIC_CONCURRENCY; AUTOMERGE models merge instead (ConflictStrategyTests).
    @Test func staleVersionIsConflictWithCurrentRecord() async throws {
        try await withServer { _, client in
            let created = try await client.data(
                "mutation { createPost(input: {id: \"p1\", title: \"v1\", status: DRAFT}) { id } }")
            #expect(created["createPost"]?["id"] == "p1")
            _ = try await client.data("mutation { updatePost(input: {id: \"p1\", _version: 1, title: \"v2\"}) { _version } }")
            let reply = try await client.post("mutation { updatePost(input: {id: \"p1\", _version: 1, title: \"stale\"}) { _version } }")
            let error = try #require(reply.json["errors"]?.arrayValue?.first)
            #expect(error["extensions"]?["code"] == "ConflictUnhandled")
            #expect(error["extensions"]?["data"]?["title"] == "v2")
            #expect(error["extensions"]?["data"]?["_version"] == 2)
            #expect(error["path"] == ["updatePost"])
            #expect(reply.json["data"]?["updatePost"] == .null)
            #expect(reply.json["extensions"] == nil)
            let missingVersion = try await client.errorCode("mutation { updatePost(input: {id: \"p1\", title: \"x\"}) { id } }")
            #expect(missingVersion == "BAD_USER_INPUT")
            let missingRecord = try await client.errorCode("mutation { updatePost(input: {id: \"nope\", _version: 1, title: \"x\"}) { id } }")
            #expect(missingRecord == "NOT_FOUND")
        }
    }

    @Test func conditionIsCheckedAtomicallyWithTheWrite() async throws {
        try await withServer { _, client in
            _ = try await client.data("mutation { createNote(input: {id: \"c1\", title: \"t\", priority: 1}) { id } }")
            let failed = try await client.errorCode(
                "mutation { updateNote(input: {id: \"c1\", _version: 1, title: \"changed\"}, condition: {priority: {gt: 5}}) { id } }")
            #expect(failed == "CONDITION_FAILED")
            let unchanged = try await client.data("{ getNote(id: \"c1\") { title _version } }")
            #expect(unchanged["getNote"]?["title"] == "t")
            #expect(unchanged["getNote"]?["_version"] == 1)
            let passed = try await client.data(
                "mutation { updateNote(input: {id: \"c1\", _version: 1, title: \"changed\"}, condition: {priority: {eq: 1}}) { title } }")
            #expect(passed["updateNote"]?["title"] == "changed")
        }
    }

    @Test func listFiltersAndPaginates() async throws {
        try await withServer { _, client in
            for i in 0..<25 {
                _ = try await client.data(
                    "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id } }",
                    variables: ["input": ["id": .string(String(format: "note-%02d", i)), "title": .string(i % 2 == 0 ? "even \(i)" : "odd \(i)"), "priority": .int(Int64(i)), "tags": i % 5 == 0 ? ["five"] : []]])
            }
            // Filters: operators, and/or/not.
            let evens = try await client.data("{ listNotes(filter: {title: {beginsWith: \"even\"}}, limit: 100) { items { id } } }")
            #expect(evens["listNotes"]?["items"]?.arrayValue?.count == 13)
            let combined = try await client.data(
                "{ listNotes(filter: {or: [{priority: {lt: 2}}, {and: [{priority: {between: [20, 22]}}, {not: {priority: {eq: 21}}}]}]}) { items { id priority } } }")
            #expect(combined["listNotes"]?["items"]?.arrayValue?.compactMap { $0["priority"]?.intValue }.sorted() == [0, 1, 20, 22])
            let tagged = try await client.data("{ listNotes(filter: {tags: {contains: \"five\"}}) { items { id } } }")
            #expect(tagged["listNotes"]?["items"]?.arrayValue?.count == 5)
            let inList = try await client.data("{ listNotes(filter: {priority: {in: [3, 4, 99]}}) { items { priority } } }")
            #expect(inList["listNotes"]?["items"]?.arrayValue?.count == 2)

            // Pagination: pages of 10 visit every record exactly once.
            var seen: [String] = []
            var token: JSONValue = .null
            for _ in 0..<10 {
                let page = try await client.data(
                    "query P($t: String) { listNotes(limit: 10, nextToken: $t) { items { id } nextToken } }", variables: ["t": token])
                seen += page["listNotes"]?["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
                token = page["listNotes"]?["nextToken"] ?? .null
                if token == .null { break }
            }
            #expect(seen.count == 25)
            #expect(Set(seen).count == 25)
        }
    }

    @Test func forgedOrForeignNextTokenIsRejected() async throws {
        try await withServer { _, client in
            for i in 0..<3 {
                _ = try await client.data("mutation { createNote(input: {title: \"n\(i)\"}) { id } }")
            }
            let page = try await client.data("{ listNotes(limit: 1) { nextToken } }")
            let token = try #require(page["listNotes"]?["nextToken"]?.stringValue)
            var tampered = Array(token)
            tampered[tampered.count / 2] = tampered[tampered.count / 2] == "A" ? "B" : "A"
            let forged = try await client.errorCode(
                "query P($t: String) { listNotes(nextToken: $t) { items { id } } }", variables: ["t": .string(String(tampered))])
            #expect(forged == "BAD_USER_INPUT")
            let garbage = try await client.errorCode("{ listNotes(nextToken: \"not-a-token\") { items { id } } }")
            #expect(garbage == "BAD_USER_INPUT")
            let foreign = try await client.errorCode(
                "query P($t: String) { commentsByPost(postId: \"p\", nextToken: $t) { items { id } } }", variables: ["t": .string(token)])
            #expect(foreign == "BAD_USER_INPUT")
        }
    }

    @Test func indexQueryWithSortKeyConditionAndDirection() async throws {
        try await withServer { _, client in
            let create = "mutation C($input: CreateCommentInput!) { createComment(input: $input) { id createdAt } }"
            var createdAt: [String] = []
            for i in 0..<6 {
                let data = try await client.data(create, variables: ["input": ["postId": i < 4 ? "p1" : "p2", "content": .string("c\(i)")]])
                createdAt.append(data["createComment"]?["createdAt"]?.stringValue ?? "")
                try await Task.sleep(for: .milliseconds(3))
            }
            let ascending = try await client.data("{ commentsByPost(postId: \"p1\") { items { content } } }")
            #expect(ascending["commentsByPost"]?["items"]?.arrayValue?.compactMap { $0["content"]?.stringValue } == ["c0", "c1", "c2", "c3"])
            let descending = try await client.data("{ commentsByPost(postId: \"p1\", sortDirection: DESC, limit: 2) { items { content } nextToken } }")
            #expect(descending["commentsByPost"]?["items"]?.arrayValue?.compactMap { $0["content"]?.stringValue } == ["c3", "c2"])
            #expect(descending["commentsByPost"]?["nextToken"]?.stringValue != nil)
            let after = try await client.data(
                "query Q($t: String) { commentsByPost(postId: \"p1\", createdAt: {gt: $t}) { items { content } } }",
                variables: ["t": .string(createdAt[1])])
            #expect(after["commentsByPost"]?["items"]?.arrayValue?.compactMap { $0["content"]?.stringValue } == ["c2", "c3"])
        }
    }

    @Test func selectionFeatures() async throws {
        try await withServer { _, client in
            _ = try await client.data("mutation { createNote(input: {id: \"s1\", title: \"sel\", priority: 7}) { id } }")
            let query = """
                query Q($withPriority: Boolean!, $skipTitle: Boolean = false, $id: ID! = "s1") {
                  __typename
                  first: getNote(id: $id) { ...Basics priority @include(if: $withPriority) }
                  second: getNote(id: $id) { ... on Note { t: title @skip(if: $skipTitle) __typename } }
                }
                fragment Basics on Note { id title }
                """
            let data = try await client.data(query, variables: ["withPriority": true])
            #expect(data["__typename"] == "Query")
            #expect(data["first"] == ["id": "s1", "title": "sel", "priority": 7])
            #expect(data["second"] == ["t": "sel", "__typename": "Note"])
            let without = try await client.data(query, variables: ["withPriority": false, "skipTitle": true])
            #expect(without["first"] == ["id": "s1", "title": "sel"])
            #expect(without["second"] == ["__typename": "Note"])
            // Response keys keep selection order.
            let reply = try await client.post("{ getNote(id: \"s1\") { title id priority } }")
            #expect(reply.text.contains(#"{"title":"sel","id":"s1","priority":7}"#))
        }
    }
}
