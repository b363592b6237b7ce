import Foundation
import Testing
import TideClient
import TideCrypto
import TideModel
import TideTestSupport

/// The encryption seam (ARCHITECTURE §9.3) through a real server, with a stand-in transform
/// that makes well-formed `tw1:` envelopes without encrypting (the real one is TideCrypto's):
/// values leave transformed, come back readable, blind indexes go along, and a sync predicate on
/// an encrypted field reaches the server rewritten.
@Suite(.sharedServer()) struct FieldTransformTests {
    @Test func encryptedFieldsNeedATransform() async throws {
        let server = try SharedServer.server()
        let device = try await Device.signIn(server)
        defer { Task { await device.close() } }
        await #expect(throws: TideClientError.self) { _ = try await device.client.save("Note", ["title": "t", "body": "secret"]) }
        #expect(try await device.client.outbox().isEmpty)
        let task = try await device.client.save("Task", ["title": "t", "status": "TODO", "assigneeEmailBlindIndex": "ignored"])
        #expect(task["assigneeEmailBlindIndex"] == nil, "a blind index in a record is dropped: the transform computes it")
    }

    @Test func valuesLeaveTransformedAndComeBackReadable() async throws {
        let server = try SharedServer.server()
        let phone = try await Device.signIn(server) { $0.fieldTransform = StandInEnvelope() }
        let laptop = try await phone.sibling(server) {
            $0.fieldTransform = StandInEnvelope()
            $0.syncPredicates["Task"] = ["assigneeEmail": ["eq": "ann@example.com"]]
        }
        defer { Task { await phone.close(); await laptop.close() } }
        try await phone.client.save("Note", ["id": .string("secret-\(phone.username)"), "title": "t", "body": "my secret"])
        try await phone.client.save("Task", ["id": .string("ann-\(phone.username)"), "title": "a", "status": "TODO", "assigneeEmail": "ann@example.com"])
        try await phone.client.save("Task", ["id": .string("bob-\(phone.username)"), "title": "b", "status": "TODO", "assigneeEmail": "bob@example.com"])
        let summary = try await phone.client.syncNow()
        #expect(summary.sent == 3 && summary.parked == 0)
        #expect(try await phone.client.get("Note", id: "secret-\(phone.username)")?["body"] == "my secret", "the answer is decrypted")

        let direct = try await phone.graphQL(server)
        let stored = try await direct.data(#"{ getNote(id: "secret-\#(phone.username)") { body } }"#)
        let body = try #require(stored["getNote"]?["body"]?.stringValue)
        #expect(body.hasPrefix("tw1:") && !body.contains("my secret"), "the server holds the envelope")

        _ = try await laptop.client.syncNow()
        #expect(try await laptop.client.get("Note", id: "secret-\(phone.username)")?["body"] == "my secret")
        // The predicate went to the server as a blind-index equality: only ann's task is kept.
        #expect(try await laptop.client.query("Task").map(\.id) == ["ann-\(phone.username)"])
        #expect(try await laptop.client.query("Task").first?["assigneeEmail"] == "ann@example.com")
    }
}

/// Well-formed `tw1:` envelopes around the plaintext (key id 1, a zero nonce and tag): the
/// server checks the form, not the cryptography. Not encryption: a stand-in for the seam test.
struct StandInEnvelope: FieldTransform {
    func outgoing(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) throws -> JSONValue {
        guard case .string(let text) = value else { return value }
        let bytes: [UInt8] = [0, 0, 0, 1] + Array(repeating: 0, count: 24) + Array(text.utf8) + Array(repeating: 0, count: 16)
        return .string("tw1:" + Base64URL.encode(bytes))
    }

    func incoming(_ value: JSONValue, field: Field, path: String, model: ModelType, recordID: String) -> JSONValue {
        guard case .string(let text) = value, text.hasPrefix("tw1:"), let bytes = Base64URL.decode(String(text.dropFirst(4))),
            bytes.count >= 44
        else { return .null }
        return .string(String(decoding: bytes[28..<(bytes.count - 16)], as: UTF8.self))
    }

    func companionInputs(for fields: [String: JSONValue], model: ModelType, recordID: String) throws -> [String: JSONValue] {
        var inputs: [String: JSONValue] = [:]
        for field in model.fields where field.isEncrypted && field.hasBlindIndex {
            if case .string(let text)? = fields[field.name] { inputs[field.name + "BlindIndex"] = .string(Self.index(text)) }
        }
        return inputs
    }

    func serverFilter(_ filter: FilterExpression, model: ModelType) throws -> FilterExpression {
        switch filter {
        case .and(let parts): return .and(try parts.map { try serverFilter($0, model: model) })
        case .or(let parts): return .or(try parts.map { try serverFilter($0, model: model) })
        case .not(let part): return .not(try serverFilter(part, model: model))
        case .field(let name, .eq(.string(let value))) where model.field(named: name)?.hasBlindIndex == true:
            return .field(name + "BlindIndex", .eq(.string(Self.index(value))))
        case .field: return filter
        }
    }

    /// 16 bytes that depend on the text (FNV-1a, twice): deterministic, like a blind index.
    static func index(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let second = hash &* 0x9E37_79B9_7F4A_7C15
        return Base64URL.encode(withUnsafeBytes(of: hash.bigEndian, Array.init) + withUnsafeBytes(of: second.bigEndian, Array.init))
    }
}
