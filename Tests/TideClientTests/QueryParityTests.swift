import Foundation
import Testing
import TideClient
import TideModel
import TideTestSupport

/// A filter means the same thing locally and on the server: random filters run as a local
/// query (SQL prefilter + the shared evaluator) and as `listNotes(filter:)` on the server return
/// the same records.
@Suite(.sharedServer()) struct QueryParityTests {
    @Test func localQueriesMatchTheServer() async throws {
        let server = try SharedServer.server()
        let device = try await Device.signIn(server) { $0.localIndexes["Note"] = [["priority"], ["title"]] }
        defer { Task { await device.close() } }
        var random = SeededRandom(seed: 20_261_202)
        let titles = ["alpha", "alpine", "beta", "Beta", "", "éclair", "e\u{301}clair", "zeta 10", "zeta 9", "Ω"]
        let tagPool: [JSONValue] = ["a", "b", "c", "ä"]
        device.client.setLinkEnabled(false)
        for index in 0..<120 {
            var fields: [String: JSONValue] = ["id": .string("p\(index)-\(device.username)"), "title": .string(random.pick(titles))]
            if random.chance(0.8) { fields["priority"] = .int(Int64(random.next(in: -2...5))) }
            if random.chance(0.7) { fields["done"] = .bool(random.chance(0.5)) }
            if random.chance(0.7) { fields["tags"] = .array(tagPool.filter { _ in random.chance(0.4) }) }
            if random.chance(0.5) { fields["dueAt"] = .string("2026-0\(random.next(in: 1...9))-1\(random.next(in: 0...9))T12:00:00.000Z") }
            try await device.client.save("Note", fields)
        }
        device.client.setLinkEnabled(true)
        #expect(try await device.client.syncNow().sent == 120)
        let direct = try await device.graphQL(server)

        for round in 0..<150 {
            let filter = Self.filter(&random, depth: 0, titles: titles)
            let local = try await device.client.query("Note", filter: filter).map(\.id)
            let answer = try await direct.data(
                "query Q($filter: ModelNoteFilterInput) { listNotes(filter: $filter, limit: 1000) { items { id } } }",
                variables: ["filter": filter])
            let remote = answer["listNotes"]?["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(Set(local) == Set(remote), "round \(round): \(filter.jsonString)")
        }
    }

    static func filter(_ random: inout SeededRandom, depth: Int, titles: [String]) -> JSONValue {
        if depth < 2, random.chance(0.3) {
            let parts = (0..<random.next(in: 1...3)).map { _ in filter(&random, depth: depth + 1, titles: titles) }
            switch random.next(in: 0...2) {
            case 0: return ["and": .array(parts)]
            case 1: return ["or": .array(parts)]
            default: return ["not": parts[0]]
            }
        }
        let title = JSONValue.string(random.pick(titles))
        let prefix = JSONValue.string(String(random.pick(titles).prefix(random.next(in: 0...3))))
        let priority = JSONValue.int(Int64(random.next(in: -3...6)))
        let bound = JSONValue.int(Int64(random.next(in: -3...6)))
        let date = JSONValue.string("2026-0\(random.next(in: 1...9))-15T00:00:00.000Z")
        let choices: [JSONValue] = [
            ["title": ["eq": title]], ["title": ["ne": title]], ["title": ["beginsWith": prefix]], ["title": ["contains": prefix]],
            ["title": ["ge": title]], ["title": ["lt": title]], ["title": ["between": [prefix, title]]],
            ["title": ["in": [title, prefix]]], ["title": ["notIn": [title]]], ["title": ["notContains": prefix]],
            ["priority": ["eq": priority]], ["priority": ["ne": priority]], ["priority": ["gt": priority]], ["priority": ["le": priority]],
            ["priority": ["between": [priority, bound]]], ["priority": ["in": [priority, bound]]], ["priority": ["attributeExists": .bool(random.chance(0.5))]],
            ["priority": ["eq": nil]], ["done": ["eq": .bool(random.chance(0.5))]], ["done": ["ne": true]],
            ["done": ["attributeExists": .bool(random.chance(0.5))]], ["tags": ["contains": "a"]], ["tags": ["notContains": "ä"]],
            ["tags": ["attributeExists": true]], ["dueAt": ["lt": date]], ["dueAt": ["ge": date]], ["dueAt": ["attributeExists": false]],
            ["priority": ["ge": priority], "done": ["eq": true]],
        ]
        return random.pick(choices)
    }
}
