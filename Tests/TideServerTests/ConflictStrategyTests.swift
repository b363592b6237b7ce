import Foundation
import Testing
import TideModel
import TideTestSupport

/// AUTOMERGE through a real server (ARCHITECTURE §4, docs/CONFLICTS.md) on the example schema's
/// `Task` (AUTOMERGE by default). OPTIMISTIC_CONCURRENCY (`Post`): GeneratedOperationsTests.
@Suite struct ConflictStrategyTests {
    static let taskFields = "id title priority labels checklist { text done } _version"

    @Test func staleTaskUpdateMergesAndReportsDroppedFields() async throws {
        try await withServer { _, client in
            _ = try await client.data(
                """
                mutation { createTask(input: {id: "t1", title: "plan", status: TODO, labels: ["a"],
                  checklist: [{text: "one", done: false}]}) { id } }
                """)
            let current = try await client.data(
                "mutation { updateTask(input: {id: \"t1\", _version: 1, title: \"plan v2\", labels: [\"a\", \"b\"]}) { _version } }")
            #expect(current["updateTask"]?["_version"] == 2)

            // A device that last saw version 1 comes back online.
            let reply = try await client.post(
                """
                mutation M($input: UpdateTaskInput!) { updateTask(input: $input) { \(Self.taskFields) } }
                """,
                variables: [
                    "input": [
                        "id": "t1", "_version": 1, "title": "offline title", "priority": 5, "labels": ["c", "a"],
                        "checklist": [["text": "two", "done": true]],
                    ]
                ])
            #expect(reply.json["errors"] == nil)
            let task = try #require(reply.json["data"]?["updateTask"])
            #expect(task["title"] == "plan v2", "a conflicting scalar keeps the server value")
            #expect(task["priority"] == 5, "a field null on the server takes the incoming value")
            #expect(task["labels"] == ["a", "b", "c"], "labels is a @set: union, server order first")
            #expect(task["checklist"] == [["text": "one", "done": false], ["text": "two", "done": true]], "a list is concatenated")
            #expect(task["_version"] == 3)
            #expect(reply.json["extensions"]?["merged"] == [["path": ["updateTask"], "dropped": ["title"]]])

            let stored = try await client.data("{ getTask(id: \"t1\") { \(Self.taskFields) } }")
            #expect(stored["getTask"] == task)
        }
    }

    @Test func mergeReportsUseResponseKeysAndOnlyMergedFields() async throws {
        try await withServer { _, client in
            _ = try await client.data("mutation { createTask(input: {id: \"t2\", title: \"x\", status: TODO}) { id } }")
            _ = try await client.data("mutation { updateTask(input: {id: \"t2\", _version: 1, status: DONE}) { id } }")
            let reply = try await client.post(
                """
                mutation {
                  fresh: updateTask(input: {id: "t2", _version: 2, priority: 1}) { _version }
                  stale: updateTask(input: {id: "t2", _version: 2, labels: ["l"]}) { _version }
                }
                """)
            #expect(reply.json["errors"] == nil)
            #expect(reply.json["data"]?["fresh"]?["_version"] == 3)
            #expect(reply.json["data"]?["stale"]?["_version"] == 4)
            // Merged without dropping anything: still reported, so the client knows to re-read.
            #expect(reply.json["extensions"]?["merged"] == [["path": ["stale"], "dropped": []]])

            let plain = try await client.post("mutation { updateTask(input: {id: \"t2\", _version: 4, priority: 2}) { id } }")
            #expect(plain.json["extensions"]?["merged"] == nil, "an update on the current version is not a merge")
        }
    }

    @Test func staleDeleteIsRejectedUnderAutomerge() async throws {
        try await withServer { _, client in
            _ = try await client.data("mutation { createTask(input: {id: \"t3\", title: \"x\", status: TODO}) { id } }")
            _ = try await client.data("mutation { updateTask(input: {id: \"t3\", _version: 1, title: \"y\"}) { id } }")
            let reply = try await client.post("mutation { deleteTask(input: {id: \"t3\", _version: 1}) { id } }")
            let error = try #require(reply.json["errors"]?.arrayValue?.first)
            #expect(error["extensions"]?["code"] == "ConflictUnhandled")
            #expect(error["extensions"]?["data"]?["title"] == "y")
            #expect(error["extensions"]?["data"]?["_version"] == 2)
            let still = try await client.data("{ getTask(id: \"t3\") { _version _deleted } }")
            #expect(still["getTask"]?["_deleted"] == false)
        }
    }
}

extension ConflictStrategyTests {
    /// `FieldDoc.inbox` may be written by anyone signed in but read only by the owner: whether a
    /// merge dropped it must not tell another user anything about its stored value.
    @Test func droppedFieldsHiddenFromTheCallerAreNotNamed() async throws {
        try await withAuthServer { env in
            let alice = env.client(.owner)
            let bob = env.client(.other)
            let created = try await alice.data("mutation { createFieldDoc(input: {title: \"t\", inbox: \"hello\"}) { id } }")
            let id = try #require(created["createFieldDoc"]?["id"]?.stringValue)
            let update = "mutation M($input: UpdateFieldDocInput!) { updateFieldDoc(input: $input) { _version inbox } }"
            _ = try await bob.data(update, variables: ["input": ["id": .string(id), "_version": 1, "category": "c"]])
            var version: Int64 = 2
            for guess in ["hello", "wrong"] {
                let reply = try await bob.post(
                    update, variables: ["input": ["id": .string(id), "_version": 1, "title": "stale", "inbox": .string(guess)]])
                version += 1
                #expect(reply.json["data"]?["updateFieldDoc"] == ["_version": .int(version), "inbox": nil])
                #expect(reply.json["extensions"]?["merged"] == [["path": ["updateFieldDoc"], "dropped": ["title"]]], "guess \(guess)")
            }
            let stored = try await alice.data("query { getFieldDoc(id: \"\(id)\") { title inbox } }")
            #expect(stored["getFieldDoc"] == ["title": "t", "inbox": "hello"])
        }
    }
}
