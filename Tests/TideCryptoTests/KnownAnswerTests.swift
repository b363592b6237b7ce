import Foundation
import Testing
import TideModel
@testable import TideCrypto

/// The vectors in Fixtures/crypto/ were made by Tools/crypto-vectors/generate.py without libsodium
/// (HChaCha20 in Python, ChaCha20-Poly1305 and Argon2id from OpenSSL, BLAKE2b and NFC from Python's
/// standard library): these tests check libsodium's results and our formats against them.
@Suite struct KnownAnswerTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/crypto")

    static func vectors(_ file: String, _ key: String = "vectors") throws -> [JSONValue] {
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        return try #require(try JSONParser.parse(Array(data))[key]?.arrayValue)
    }

    static func hex(_ text: String?) throws -> [UInt8] {
        let text = try #require(text)
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(try #require(UInt8(text[index..<next], radix: 16)))
            index = next
        }
        return bytes
    }

    static func cipher(keyHex: String?, keyId: UInt32) throws -> FieldCipher {
        var bytes = try hex(keyHex)
        return FieldCipher(keys: DataKeyRing(keys: [keyId: try SecretKey(consuming: &bytes)]))
    }

    @Test func fieldEnvelopesMatchTheVectors() throws {
        let vectors = try Self.vectors("field-envelope.json")
        #expect(vectors.count >= 5)
        for v in vectors {
            let keyId = UInt32(try #require(v["keyId"]?.intValue))
            let cipher = try Self.cipher(keyHex: v["key"]?.stringValue, keyId: keyId)
            let (model, id, field) = (v["model"]!.stringValue!, v["id"]!.stringValue!, v["field"]!.stringValue!)
            let plaintext = try #require(v["plaintext"]?.stringValue)
            #expect(FieldEnvelope.associatedData(model: model, id: id, field: field) == (try Self.hex(v["aad"]?.stringValue)))
            let envelope = try cipher.encrypt(plaintext, model: model, id: id, field: field,
                                              keyId: keyId, nonce: try Self.hex(v["nonce"]?.stringValue))
            #expect(envelope == v["envelope"]?.stringValue)
            #expect(try cipher.decrypt(envelope, model: model, id: id, field: field) == plaintext)
        }
    }

    @Test func envelopesThatMustNotDecryptFailWithTheirReason() throws {
        let vectors = try Self.vectors("field-envelope.json", "failures")
        #expect(vectors.count >= 10)
        for v in vectors {
            let cipher = try Self.cipher(keyHex: v["key"]?.stringValue, keyId: UInt32(try #require(v["keyId"]?.intValue)))
            let expected = try #require(v["error"]?.stringValue)
            let caseName = v["case"]?.stringValue ?? "?"
            do {
                let plaintext = try cipher.decrypt(
                    v["envelope"]!.stringValue!, model: v["model"]!.stringValue!, id: v["id"]!.stringValue!,
                    field: v["field"]!.stringValue!)
                Issue.record("\(caseName): decrypted to \(plaintext.utf8.count) bytes")
            } catch {
                let name = switch error {
                case .authenticationFailed: "authenticationFailed"
                case .unknownKeyId: "unknownKeyId"
                case .malformed: "malformed"
                case .notAnEnvelope: "notAnEnvelope"
                case .locked: "locked"
                case .notText: "notText"
                case .unsupportedValue: "unsupportedValue"
                }
                #expect(name == expected, "\(caseName)")
            }
        }
    }

    @Test func blindIndexesMatchTheVectors() throws {
        let vectors = try Self.vectors("blind-index.json")
        #expect(vectors.count >= 10)
        for v in vectors {
            let cipher = try Self.cipher(keyHex: v["key"]?.stringValue, keyId: 1)
            let plaintext = try #require(v["plaintext"]?.stringValue)
            #expect(FieldCipher.nfcBytes(plaintext) == (try Self.hex(v["plaintextNFC"]?.stringValue)),
                    "NFC of \(plaintext.unicodeScalars.map { String($0.value, radix: 16) })")
            let index = try cipher.blindIndex(of: plaintext, model: v["model"]!.stringValue!, field: v["field"]!.stringValue!)
            #expect(index == v["blindIndex"]?.stringValue)
            #expect(index.utf8.count == 22)
        }
    }

    @Test func keyEnvelopesUnlockAndRewrapAsTheVectorsSay() throws {
        let vectors = try Self.vectors("key-envelope.json")
        #expect(vectors.count >= 2)
        for v in vectors {
            let json = try #require(v["envelope"]?.stringValue)
            let envelope = try KeyEnvelope(json: json)
            #expect(envelope.json == json, "our writer produces the same bytes")
            let passphrase = try #require(v["passphrase"]?.stringValue)
            #expect(throws: KeyEnvelopeError.wrongPassphrase) { try envelope.unlock(passphrase: v["wrongPassphrase"]!.stringValue!) }

            let unlocked = try envelope.unlock(passphrase: passphrase)
            let expectedKeys = try #require(v["dataKeys"]?.objectValue)
            #expect(unlocked.ring.keyIds.map(String.init) == expectedKeys.keys.sorted())
            #expect(unlocked.ring.currentKeyId == envelope.currentKeyId)
            for (id, keyHex) in expectedKeys {
                let key = try #require(unlocked.ring.key(UInt32(id)!))
                #expect(try key.withBytes { Array(UnsafeBufferPointer(start: $0, count: SecretKey.length)) } == (try Self.hex(keyHex.stringValue)))
            }
            #expect(try unlocked.wrappingKey.withBytes { Array(UnsafeBufferPointer(start: $0, count: 32)) }
                    == (try Self.hex(v["wrappingKey"]?.stringValue)))

            // Wrapping the same keys with the vector's salt and nonces gives the same envelope.
            let nonces = Dictionary(uniqueKeysWithValues: envelope.keys.map { ($0.id, $0.nonce) })
            let again = try KeyEnvelope.wrap(ring: unlocked.ring, passphrase: passphrase, parameters: envelope.parameters,
                                             salt: envelope.salt, nonces: nonces)
            #expect(again.envelope.json == json)
        }
    }
}
