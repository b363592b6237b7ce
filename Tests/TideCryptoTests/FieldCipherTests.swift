import Testing
import TideModel
@testable import TideCrypto

@Suite struct FieldCipherTests {
    let cipher = FieldCipher(keys: DataKeyRing(keys: [1: SecretKey.random()]))

    @Test func encryptThenDecryptRoundTrips() throws {
        for text in ["", "a", "Ward 4, bed 2", "東京 🌊 e\u{301}", String(repeating: "x", count: 10_240)] {
            let sealed = try cipher.encrypt(text, model: "Note", id: "n1", field: "body")
            #expect(sealed.hasPrefix("tw1:"))
            #expect(FieldEnvelope.isWellFormed(sealed))
            #expect(FieldEnvelope(parsing: sealed)?.keyId == 1)
            #expect(try cipher.decrypt(sealed, model: "Note", id: "n1", field: "body") == text)
        }
    }

    @Test func eachEncryptionUsesAFreshNonce() throws {
        let a = try cipher.encrypt("same", model: "Note", id: "n1", field: "body")
        let b = try cipher.encrypt("same", model: "Note", id: "n1", field: "body")
        #expect(a != b)
    }

    @Test func aCiphertextDoesNotDecryptAnywhereElse() throws {
        let sealed = try cipher.encrypt("secret", model: "Note", id: "n1", field: "body")
        for (model, id, field) in [("Note", "n2", "body"), ("Note", "n1", "title"), ("Memo", "n1", "body"),
                                   ("Note", "n1\u{0}body", ""), ("Note\u{0}n1", "", "body")] {
            #expect(throws: FieldCryptoError.authenticationFailed) {
                try cipher.decrypt(sealed, model: model, id: id, field: field)
            }
        }
        let other = FieldCipher(keys: DataKeyRing(keys: [1: SecretKey.random()]))
        #expect(throws: FieldCryptoError.authenticationFailed) { try other.decrypt(sealed, model: "Note", id: "n1", field: "body") }
    }

    @Test func malformedValuesAreTypedErrorsNotCrashes() {
        for value in ["", "tw1", "tw1:", "tw1:!!!!", "tw1:AAAA", "tw1:" + String(repeating: "A", count: 58) + "=", "tw1:\u{301}AAAA",
                      "tw1:" + String(repeating: "A", count: 10_000) + "*"] {
            #expect(!FieldEnvelope.isWellFormed(value))
            #expect(throws: FieldCryptoError.self) { try cipher.decrypt(value, model: "Note", id: "n1", field: "body") }
        }
        #expect(throws: FieldCryptoError.notAnEnvelope) { try cipher.decrypt("hello", model: "Note", id: "n1", field: "body") }
        #expect(throws: FieldCryptoError.malformed) { try cipher.decrypt("tw1:AAAA", model: "Note", id: "n1", field: "body") }
    }

    @Test func listsEncryptEachElementAndDecryptWholeOrNotAtAll() throws {
        let list: JSONValue = ["a", "b", .null]
        let sealed = try cipher.encrypt(value: list, model: "Note", id: "n1", field: "tags")
        let elements = try #require(sealed.arrayValue)
        #expect(elements.count == 3 && elements[2] == .null)
        #expect(elements[0].stringValue.map(FieldEnvelope.isWellFormed) == true)
        let (opened, failure) = cipher.decrypt(value: sealed, model: "Note", id: "n1", field: "tags")
        #expect(opened == list && failure == nil)

        let mixed: JSONValue = [elements[0], "plain"]
        let (none, reason) = cipher.decrypt(value: mixed, model: "Note", id: "n1", field: "tags")
        #expect(none == .null && reason == .notAnEnvelope)
        #expect(throws: FieldCryptoError.unsupportedValue) { try cipher.encrypt(value: 3, model: "Note", id: "n1", field: "tags") }
        #expect(try cipher.encrypt(value: .null, model: "Note", id: "n1", field: "tags") == .null)
    }

    @Test func blindIndexIgnoresNormalisationFormButKeepsCase() throws {
        let composed = try cipher.blindIndex(of: "Caf\u{E9}", model: "Contact", field: "city")
        let decomposed = try cipher.blindIndex(of: "Cafe\u{301}", model: "Contact", field: "city")
        #expect(composed == decomposed)
        #expect(try cipher.blindIndex(of: "caf\u{E9}", model: "Contact", field: "city") != composed)
        #expect(try cipher.blindIndex(of: "Caf\u{E9}", model: "Contact", field: "street") != composed)
        #expect(try cipher.blindIndex(of: "Caf\u{E9}", model: "Place", field: "city") != composed)
        #expect(FieldCipher.nfcBytes("\u{AC00}\u{11A8}") == Array("\u{AC01}".utf8))
    }

    @Test func wipedKeysRefuseEveryUse() throws {
        let ring = DataKeyRing(keys: [1: SecretKey.random()])
        let cipher = FieldCipher(keys: ring)
        let sealed = try cipher.encrypt("x", model: "Note", id: "n1", field: "body")
        ring.wipe()
        #expect(ring.isWiped)
        #expect(throws: FieldCryptoError.locked) { try cipher.encrypt("x", model: "Note", id: "n1", field: "body") }
        #expect(throws: FieldCryptoError.locked) { try cipher.decrypt(sealed, model: "Note", id: "n1", field: "body") }
        #expect(throws: FieldCryptoError.locked) { try cipher.blindIndex(of: "x", model: "Note", field: "body") }
    }

    @Test func keysNeverShowTheirBytes() throws {
        var bytes = [UInt8](repeating: 0xAB, count: 32)
        let key = try SecretKey(consuming: &bytes)
        #expect(bytes == [UInt8](repeating: 0, count: 32), "the caller's copy is zeroed")
        for text in [String(describing: key), String(reflecting: key), String(describing: DataKeyRing(keys: [1: key]))] {
            #expect(!text.lowercased().contains("ab"), "\(text)")
        }
        var short: [UInt8] = [1, 2, 3]
        #expect(throws: SecretKeyError.invalidLength) { try SecretKey(consuming: &short) }
        #expect(short == [0, 0, 0])
    }
}
