import Foundation
import Testing
import TideModel
import TideTestSupport

/// onCreate/onUpdate/onDelete events from the change feed, filtered and rendered with the
/// subscription's selection set.
@Suite struct SubscriptionEventTests {
    @Test func createUpdateDeleteInFeedOrder() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            try await socket.subscribe("c", "subscription { onCreateNote { id title _version } }")
            try await socket.subscribe("u", "subscription { onUpdateNote { id title _version } }")
            try await socket.subscribe("d", "subscription { onDeleteNote { id title _version _deleted } }")
            // A round trip on the socket: the three subscriptions are registered once it returns.
            _ = try await socket.execute("sync", "{ listNotes { items { id } } }")

            let created = try await client.data(#"mutation { createNote(input: {title: "one"}) { id _version } }"#)
            let id = created["createNote"]?["id"] ?? .null
            _ = try await client.data(
                "mutation U($id: ID!) { updateNote(input: {id: $id, _version: 1, title: \"two\"}) { id } }", variables: ["id": id])
            _ = try await client.data("mutation D($id: ID!) { deleteNote(input: {id: $id, _version: 2}) { id } }", variables: ["id": id])

            let events = try await [socket.next(), socket.next(), socket.next()]
            #expect(events.map { $0["id"] } == ["c", "u", "d"])
            #expect(events[0]["payload"]?["data"]?["onCreateNote"]?["title"] == "one")
            #expect(events[1]["payload"]?["data"]?["onUpdateNote"]?["title"] == "two")
            #expect(events[1]["payload"]?["data"]?["onUpdateNote"]?["_version"] == 2)
            let deleted = events[2]["payload"]?["data"]?["onDeleteNote"]
            #expect(deleted?["_deleted"] == true)
            #expect(deleted?["_version"] == 3)
            #expect(deleted?["title"] == "two")  // the last image
            let seqs = events.compactMap { $0["payload"]?["extensions"]?["seq"]?.intValue }
            #expect(seqs.count == 3 && seqs == seqs.sorted() && Set(seqs).count == 3)
            #expect(seqs.last == (try await server.feedHead()))
            await socket.close()
        }
    }

    @Test func filtersUseTheListEvaluator() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            try await socket.subscribe(
                "in", #"subscription { onCreateNote(filter: {priority: {in: [1, 3]}}) { title } }"#)
            try await socket.subscribe(
                "notIn", #"subscription S($f: ModelSubscriptionNoteFilterInput) { onCreateNote(filter: $f) { title } }"#,
                variables: ["f": ["and": [["title": ["beginsWith": "keep"]], ["priority": ["notIn": [2]]]]]])
            _ = try await socket.execute("sync", "{ listNotes { items { id } } }")
            for (title, priority) in [("keep-1", 1), ("keep-2", 2), ("drop-3", 3), ("keep-4", 4)] {
                _ = try await client.data(
                    "mutation C($t: String!, $p: Int) { createNote(input: {title: $t, priority: $p}) { id } }",
                    variables: ["t": .string(title), "p": .int(Int64(priority))])
            }
            let events = try await socket.drain()
            func titles(_ id: String) -> [String] {
                events.filter { $0["id"] == .string(id) }.compactMap { $0["payload"]?["data"]?["onCreateNote"]?["title"]?.stringValue }
            }
            #expect(titles("in") == ["keep-1", "drop-3"])
            #expect(titles("notIn") == ["keep-1", "keep-4"])
            await socket.close()
        }
    }

    @Test func payloadFollowsTheSelectionSet() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            try await socket.subscribe(
                "s",
                """
                subscription Watch($withTags: Boolean!) {
                  created: onCreateNote { __typename name: title ...Extra tags @include(if: $withTags) }
                }
                fragment Extra on Note { done priority }
                """, variables: ["withTags": false])
            _ = try await socket.execute("sync", "{ listNotes { items { id } } }")
            _ = try await client.data(#"mutation { createNote(input: {title: "shape", done: true, priority: 7, tags: ["a"]}) { id } }"#)
            let payload = try await socket.nextEvent("s")
            #expect(payload["data"] == ["created": ["__typename": "Note", "name": "shape", "done": true, "priority": 7]])
            #expect(payload["errors"] == nil)
            await socket.close()
        }
    }

    @Test func invalidSubscriptionsAreRefusedWithAnErrorMessage() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            for query in [
                "subscription { onCreateNote { nope } }",
                #"subscription { onCreateNote(filter: {priority: {eq: "x"}}) { id } }"#,
            ] {
                try await socket.subscribe("bad", query)
                let error = try await socket.next()
                #expect(error["type"] == "error", "\(query)")
                #expect(error["id"] == "bad")
            }
            await socket.close()
        }
    }
}
