import Foundation
import Testing
import TideCrypto
import TideModel
import TideTestSupport

/// `@encrypted` fields through a real server: values that are not encrypted are refused and
/// leave nothing behind; blind indexes filter lists and subscriptions exactly.
@Suite struct EncryptedFieldTests {
    static let schema = "Fixtures/schemas/encrypted.graphql"
    static let create = "mutation C($input: CreatePatientInput!) { createPatient(input: $input) { id _version } }"
    static let update = "mutation U($input: UpdatePatientInput!) { updatePatient(input: $input) { id _version } }"
    static let list = "query L($filter: ModelPatientFilterInput) { listPatients(filter: $filter) { items { id } } }"

    let cipher = FieldCipher(keys: try! KeyEnvelope.create(passphrase: "patient passphrase", parameters: .forTesting).ring)

    func seal(_ text: String, _ id: String, _ field: String = "bloodType") throws -> JSONValue {
        .string(try cipher.encrypt(text, model: "Patient", id: id, field: field))
    }

    func index(_ text: String) throws -> JSONValue {
        .string(try cipher.blindIndex(of: text, model: "Patient", field: "bloodType"))
    }

    func ids(_ client: GraphQLClient, _ filter: JSONValue) async throws -> Set<String> {
        let data = try await client.data(Self.list, variables: ["filter": filter])
        return Set((data["listPatients"]?["items"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
    }

    @Test func valuesThatAreNotEncryptedAreRefusedAndNothingIsStored() async throws {
        try await withServer(schema: Self.schema, environment: ["LOG_LEVEL": "debug"]) { server, client in
            let head = try await server.feedHead()
            let refused: [JSONValue] = [
                ["id": "p1", "name": "Ann", "bloodType": "AB-negative plaintext"],
                ["id": "p1", "name": "Ann", "notes": [try seal("ok", "p1", "notes"), "a plaintext note"]],
                ["id": "p1", "name": "Ann", "address": ["city": "Bonn", "street": "Plaintext Strasse 1"]],
                ["id": "p1", "name": "Ann", "bloodType": "tw1:not base64 plaintext"],
                ["id": "p1", "name": "Ann", "bloodType": try seal("A+", "p1"), "bloodTypeBlindIndex": "A+ plaintext index"],
            ]
            for input in refused {
                let reply = try await client.post(Self.create, variables: ["input": input])
                let error = try #require(reply.json["errors"]?.arrayValue?.first)
                #expect(error["extensions"]?["code"] == "BAD_USER_INPUT", "\(input)")
                #expect(!reply.text.contains("plaintext"), "the error does not repeat the value: \(reply.text)")
            }
            #expect(try await ids(client, [:]).isEmpty)
            #expect(try await server.feedHead() == head, "no feed entry")

            // A well-formed create, then an update that would put plain text in: refused, record unchanged.
            let sealed = try seal("A+", "p1")
            _ = try await client.data(Self.create, variables: [
                "input": ["id": "p1", "name": "Ann", "bloodType": sealed, "bloodTypeBlindIndex": try index("A+"),
                          "notes": [try seal("n", "p1", "notes"), .null],
                          "address": ["city": "Bonn", "street": try seal("Hauptstr. 1", "p1", "address.street")]]])
            let code = try await client.errorCode(Self.update, variables: ["input": ["id": "p1", "_version": 1, "bloodType": "B+ plaintext"]])
            #expect(code == "BAD_USER_INPUT")
            let stored = try await client.data("{ getPatient(id: \"p1\") { bloodType _version } }")
            #expect(stored["getPatient"]?["bloodType"] == sealed && stored["getPatient"]?["_version"] == 1)
            #expect(try await ids(client, ["bloodType": ["attributeExists": true]]) == ["p1"])

            // Neither the log (at debug level) nor /metrics carry a refused value or a stored one.
            let metrics = try await HTTPClient().send("GET", server.baseURL.appendingPathComponent("metrics")).text
            let log = server.readStderr()
            for text in [log, metrics] {
                #expect(!text.contains("plaintext") && !text.contains("tw1:"))
            }
        }
    }

    @Test func anEncryptedFieldCannotBeComparedOnlyTested() async throws {
        try await withServer(schema: Self.schema, environment: ["LOG_LEVEL": "debug"]) { server, client in
            let filters: [JSONValue] = [
                ["bloodType": ["eq": "plaintext-blood-type"]], ["bloodType": ["beginsWith": "tw1:"]], ["notes": ["contains": "x"]],
            ]
            for filter in filters {
                let reply = try await client.post(Self.list, variables: ["filter": filter])
                #expect(reply.json["errors"]?.arrayValue?.isEmpty == false, "\(filter)")
                #expect(reply.json["data"]?["listPatients"] == nil || reply.json["data"] == .null)
            }
            let condition = try await client.errorCode(
                "mutation { createPatient(input: {id: \"p9\", name: \"x\"}, condition: {bloodType: {eq: \"A+\"}}) { id } }")
            #expect(condition != nil)
            #expect(!server.readStderr().contains("plaintext-blood-type"), "a refused filter is not logged")
        }
    }

    @Test func equalityOnABlindIndexReturnsExactlyTheMatchingRecords() async throws {
        try await withServer(schema: Self.schema) { _, client in
            let values = ["p1": "A+", "p2": "B-", "p3": "A+", "p4": "a+", "p5": "Caf\u{E9}"]
            for (id, value) in values.sorted(by: { $0.key < $1.key }) {
                _ = try await client.data(Self.create, variables: [
                    "input": ["id": .string(id), "name": "n", "bloodType": try seal(value, id), "bloodTypeBlindIndex": try index(value)]])
            }
            _ = try await client.data(Self.create, variables: ["input": ["id": "p6", "name": "no blood type"]])

            #expect(try await ids(client, ["bloodTypeBlindIndex": ["eq": try index("A+")]]) == ["p1", "p3"])
            #expect(try await ids(client, ["bloodTypeBlindIndex": ["eq": try index("a+")]]) == ["p4"], "case is kept")
            #expect(try await ids(client, ["bloodTypeBlindIndex": ["eq": try index("Cafe\u{301}")]]) == ["p5"], "NFC")
            #expect(try await ids(client, ["bloodTypeBlindIndex": ["in": [try index("A+"), try index("B-")]]]) == ["p1", "p2", "p3"])
            #expect(try await ids(client, ["bloodTypeBlindIndex": ["ne": try index("A+")]]) == ["p2", "p4", "p5", "p6"])
            #expect(try await ids(client, ["bloodTypeBlindIndex": ["attributeExists": false]]) == ["p6"])
            #expect(try await ids(client, ["bloodTypeBlindIndex": ["eq": try index("O+")]]).isEmpty)
        }
    }

    @Test func aSubscriptionFilterOnABlindIndexDeliversOnlyMatches() async throws {
        try await withServer(schema: Self.schema) { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(["Authorization": "Bearer \(server.defaultToken!)"])
            try await socket.subscribe(
                "s", "subscription S($f: ModelSubscriptionPatientFilterInput) { onCreatePatient(filter: $f) { id bloodType } }",
                variables: ["f": ["bloodTypeBlindIndex": ["eq": try index("A+")]]])
            // The subscription is registered once the server answers a later operation on the same socket.
            _ = try await socket.execute("q", "{ listPatients { items { id } } }")
            for (id, value) in [("p1", "B-"), ("p2", "A+"), ("p3", "a+"), ("p4", "A+")] {
                _ = try await client.data(Self.create, variables: [
                    "input": ["id": .string(id), "name": "n", "bloodType": try seal(value, id), "bloodTypeBlindIndex": try index(value)]])
            }
            let first = try await socket.nextEvent("s")
            let second = try await socket.nextEvent("s")
            #expect(first["data"]?["onCreatePatient"]?["id"] == "p2")
            #expect(second["data"]?["onCreatePatient"]?["id"] == "p4")
            let bloodType = try #require(second["data"]?["onCreatePatient"]?["bloodType"]?.stringValue)
            #expect(try cipher.decrypt(bloodType, model: "Patient", id: "p4", field: "bloodType") == "A+")
            let extra = try? await socket.next(timeout: .seconds(1))
            #expect(extra == nil, "no event for p1 or p3: \(extra?.jsonString ?? "")")
            await socket.close()
        }
    }
}
