import Testing
import TideModel
@testable import TideCrypto

@Suite struct KeyEnvelopeTests {
    let passphrase = "correct horse battery staple"

    func create() throws -> UnlockedKeys {
        try KeyEnvelope.create(passphrase: passphrase, parameters: .forTesting)
    }

    @Test func aNewEnvelopeUnlocksWithItsPassphraseOnAnotherDevice() throws {
        let first = try create()
        #expect(first.envelope.currentKeyId == 1 && first.ring.keyIds == [1])
        let stored = first.envelope.json
        #expect(stored.utf8.count < 400)
        let second = try KeyEnvelope(json: stored).unlock(passphrase: passphrase)
        let sealed = try FieldCipher(keys: first.ring).encrypt("hello", model: "Note", id: "n1", field: "body")
        #expect(try FieldCipher(keys: second.ring).decrypt(sealed, model: "Note", id: "n1", field: "body") == "hello")
    }

    @Test func aWrongPassphraseIsAClearErrorAndChangesNothing() throws {
        let unlocked = try create()
        let before = unlocked.envelope
        #expect(throws: KeyEnvelopeError.wrongPassphrase) { try before.unlock(passphrase: "correct horse battery stapler") }
        #expect(throws: KeyEnvelopeError.wrongPassphrase) { try before.unlock(passphrase: "") }
        #expect(before == unlocked.envelope)
        #expect(KeyEnvelopeError.wrongPassphrase.description == "wrong passphrase")
    }

    @Test func aPassphraseChangeRewrapsTheSameKeys() throws {
        let unlocked = try create()
        let cipher = FieldCipher(keys: unlocked.ring)
        let sealed = try cipher.encrypt("kept", model: "Note", id: "n1", field: "body")
        let changed = try unlocked.changingPassphrase(to: "a whole new passphrase", parameters: .forTesting)
        #expect(changed.envelope.salt != unlocked.envelope.salt)
        #expect(changed.envelope.keys.map(\.id) == [1])
        #expect(throws: KeyEnvelopeError.wrongPassphrase) { try changed.envelope.unlock(passphrase: passphrase) }
        let reopened = try KeyEnvelope(json: changed.envelope.json).unlock(passphrase: "a whole new passphrase")
        #expect(try FieldCipher(keys: reopened.ring).decrypt(sealed, model: "Note", id: "n1", field: "body") == "kept")
        #expect(throws: KeyEnvelopeError.passphraseTooShort(minimum: 8)) { try unlocked.changingPassphrase(to: "short") }
    }

    @Test func rotationAddsAVersionAndOldValuesStayReadable() throws {
        let unlocked = try create()
        let old = try FieldCipher(keys: unlocked.ring).encrypt("old", model: "Note", id: "n1", field: "body")
        let oldIndex = try FieldCipher(keys: unlocked.ring).blindIndex(of: "A+", model: "Note", field: "body")
        let rotated = try unlocked.rotating()
        #expect(rotated.ring.keyIds == [1, 2] && rotated.envelope.currentKeyId == 2)
        let reopened = try KeyEnvelope(json: rotated.envelope.json).unlock(passphrase: passphrase)
        let cipher = FieldCipher(keys: reopened.ring)
        let new = try cipher.encrypt("new", model: "Note", id: "n1", field: "body")
        #expect(FieldEnvelope(parsing: new)?.keyId == 2)
        #expect(try cipher.decrypt(old, model: "Note", id: "n1", field: "body") == "old")
        #expect(try cipher.decrypt(new, model: "Note", id: "n1", field: "body") == "new")
        // A value indexed before the rotation is still found: filters send the index under every version.
        let indexes = try cipher.blindIndexes(of: "A+", model: "Note", field: "body")
        #expect(indexes.count == 2 && indexes[0] == oldIndex && indexes[1] != oldIndex)
        #expect(try cipher.blindIndex(of: "A+", model: "Note", field: "body") == indexes[1])
    }

    @Test func rotationStopsBeforeTheEnvelopeOutgrowsTheServerLimit() throws {
        var unlocked = try create()
        var versions = 1
        while true {
            do { unlocked = try unlocked.rotating() } catch {
                #expect(error == .tooLarge)
                break
            }
            versions += 1
            #expect(unlocked.envelope.jsonBytes.count <= KeyEnvelope.maximumEncodedLength)
        }
        #expect(versions >= 20)
    }

    @Test func anAlteredNonCurrentKeyIsReportedAsSuch() throws {
        let rotated = try create().rotating()
        guard case .object(var object) = try JSONParser.parse(rotated.envelope.json),
              case .array(var keys) = object["keys"], case .object(var first) = keys[0] else {
            Issue.record("unexpected envelope shape"); return
        }
        let other = try create().rotating().envelope.keys[0]
        first["wrapped"] = .string(Base64URL.encode(other.wrapped))
        first["nonce"] = .string(Base64URL.encode(other.nonce))
        keys[0] = .object(first)
        object["keys"] = .array(keys)
        var writer = JSONWriter()
        writer.write(.object(object))
        #expect(throws: KeyEnvelopeError.corruptedKey(1)) { try KeyEnvelope(json: writer.bytes).unlock(passphrase: passphrase) }
    }

    @Test func malformedEnvelopesAreRefusedBeforeAnyKeyDerivation() throws {
        let good = try create().envelope.json
        let cases: [(String, KeyEnvelopeError)] = [
            ("", .malformed("not JSON")),
            ("[]", .malformed("not a JSON object")),
            (good.replacingOccurrences("\"formatVersion\":1", "\"formatVersion\":2"), .unsupportedFormat(2)),
            (good.replacingOccurrences("argon2id13", "argon2i13"), .malformed("kdf.alg must be argon2id13")),
            (good.replacingOccurrences("\"memlimit\":8192", "\"memlimit\":1099511627776"), .parametersOutOfRange),
            (good.replacingOccurrences("\"opslimit\":1", "\"opslimit\":1000"), .parametersOutOfRange),
            (good.replacingOccurrences("\"currentKeyId\":1", "\"currentKeyId\":2"), .malformed("currentKeyId is not the highest key id")),
            (good.replacingOccurrences("\"id\":1", "\"id\":0"), .malformed("keys[0]")),
            (String(repeating: " ", count: 4097), .tooLarge),
        ]
        for (json, error) in cases {
            #expect(throws: error, "\(json.prefix(80))") { try KeyEnvelope(json: json) }
        }
        #expect(throws: KeyEnvelopeError.passphraseTooShort(minimum: 8)) { try KeyEnvelope.create(passphrase: "1234567") }
        #expect(throws: KeyEnvelopeError.passphraseTooLong) {
            try KeyEnvelope.create(passphrase: String(repeating: "a", count: 1025), parameters: .forTesting)
        }
    }

    @Test func aPassphraseIsTheSameComposedOrDecomposed() throws {
        let unlocked = try KeyEnvelope.create(passphrase: "Pässwörter sind gut", parameters: .forTesting)
        let decomposed = "Pa\u{308}sswo\u{308}rter sind gut"
        #expect(Array(decomposed.utf8) != Array("Pässwörter sind gut".utf8))
        _ = try unlocked.envelope.unlock(passphrase: decomposed)
    }

    @Test func wipingLocksTheRingAndTheWrappingKey() throws {
        let unlocked = try create()
        unlocked.wipe()
        #expect(unlocked.ring.isWiped && unlocked.wrappingKey.isWiped)
        #expect(throws: KeyEnvelopeError.locked) { try unlocked.rotating() }
        #expect(throws: KeyEnvelopeError.locked) { try unlocked.changingPassphrase(to: "another passphrase", parameters: .forTesting) }
    }
}

extension String {
    /// Replaces every occurrence, failing loudly when there is none (a test whose edit did nothing would prove nothing).
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        let parts = self.split(separator: target, omittingEmptySubsequences: false)
        precondition(parts.count > 1, "\(target) not found in \(self)")
        return parts.joined(separator: replacement)
    }
}
