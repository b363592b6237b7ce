import Foundation
import Testing
import TideModel
import TideTestSupport

/// Input formats of every scalar, and TTL visibility, through a real server.
@Suite struct ScalarAndTTLTests {
    static let schema = "Fixtures/schemas/scalars.graphql"
    static let create = "mutation C($input: CreateSampleInput!) { createSample(input: $input) { id } }"

    @Test(arguments: [
        ("count", JSONValue.double(1.5)), ("count", .int(4_294_967_296)), ("ratio", "fast"), ("flag", "yes"),
        ("at", "2026-11-29"), ("day", "2026-02-30"), ("time", "25:61"), ("expiresAt", "soon"),
        ("email", "not-an-email"), ("phone", "call me maybe"), ("json", "{not json"), ("url", "no scheme"),
        ("ip", "999.1.1.1"),
    ] as [(String, JSONValue)])
    func wrongFormatIsBadUserInput(field: String, value: JSONValue) async throws {
        try await withServer(schema: Self.schema) { _, client in
            let reply = try await client.post(Self.create, variables: ["input": .object([field: value])])
            let error = try #require(reply.json["errors"]?.arrayValue?.first)
            #expect(error["extensions"]?["code"] == "BAD_USER_INPUT")
            #expect(error["message"]?.stringValue?.contains("input.\(field)") == true, "the message names the field: \(error)")
            let listed = try await client.data("{ listSamples { items { id } } }")
            #expect(listed["listSamples"]?["items"] == [])
        }
    }

    @Test func rightFormatsRoundTrip() async throws {
        try await withServer(schema: Self.schema) { _, client in
            let input: JSONValue = [
                "id": "s", "text": "t", "count": 3, "ratio": 0.5, "flag": true, "at": "2026-11-29T02:46:40.123Z",
                "day": "2026-11-29", "time": "12:30:00", "expiresAt": 4_102_444_800, "email": "a@example.com",
                "phone": "+1 555 123 4567", "json": #"{"k":[1,2]}"#, "url": "https://example.com", "ip": "10.0.0.1",
            ]
            _ = try await client.data(Self.create, variables: ["input": input])
            let fields = input.objectValue!.keys.sorted().joined(separator: " ")
            let got = try await client.data("{ getSample(id: \"s\") { \(fields) } }")
            #expect(got["getSample"] == input)
        }
    }

    @Test func expiredRecordsAreInvisibleAtOnce() async throws {
        try await withServer(schema: Self.schema) { _, client in
            let past = Int64(Date().timeIntervalSince1970) - 5
            let future = Int64(Date().timeIntervalSince1970) + 3600
            _ = try await client.data(Self.create, variables: ["input": ["id": "old", "expiresAt": .int(past)]])
            _ = try await client.data(Self.create, variables: ["input": ["id": "new", "expiresAt": .int(future)]])
            _ = try await client.data(Self.create, variables: ["input": ["id": "forever"]])
            let got = try await client.data("{ getSample(id: \"old\") { id } }")
            #expect(got["getSample"] == .null)
            let listed = try await client.data("{ listSamples { items { id } } }")
            #expect(Set(listed["listSamples"]?["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []) == ["new", "forever"])
            let update = try await client.errorCode("mutation { updateSample(input: {id: \"old\", _version: 1, text: \"x\"}) { id } }")
            #expect(update == "NOT_FOUND")
        }
    }
}
