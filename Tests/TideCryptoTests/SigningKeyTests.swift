import Testing
import TideCrypto
import TideModel

@Suite struct SigningKeyTests {
    @Test func jwkHasTheRFC8037Shape() throws {
        let key = SigningKey.generate()
        let jwk = key.jwk
        #expect(jwk["kty"] == "OKP")
        #expect(jwk["crv"] == "Ed25519")
        #expect(jwk["alg"] == "EdDSA")
        #expect(jwk["use"] == "sig")
        #expect(jwk["kid"] == .string(key.kid))
        let x = try #require(jwk["x"]?.stringValue.flatMap(Base64URL.decode))
        #expect(x.count == 32)
        #expect(x == key.publicKey.bytes)
        #expect(jwk.objectValue?.count == 6)  // no secret member such as "d"
    }

    @Test func jwksListsEveryKeyInOrder() throws {
        let a = SigningKey.generate(), b = SigningKey.generate()
        let jwks = PublicKey.jwks([a.publicKey, b.publicKey])
        let keys = try #require(jwks["keys"]?.arrayValue)
        #expect(keys.map { $0["kid"] } == [.string(a.kid), .string(b.kid)])
        // Parses back to the same keys.
        let parsed = try JSONParser.parse(jwks.jsonString)
        #expect(try parsed["keys"]!.arrayValue!.map { try PublicKey(jwk: $0) } == [a.publicKey, b.publicKey])
    }

    @Test func kidIsDerivedFromThePublicKey() {
        let a = SigningKey.generate(), b = SigningKey.generate()
        #expect(a.kid.count == 11)  // 8 bytes, base64url without padding
        #expect(a.kid != b.kid)
        #expect(a.kid == PublicKey.derivedKid(for: a.publicKey.bytes))
    }

    @Test func secretKeyExportImportRoundTrips() throws {
        let key = SigningKey.generate()
        let exported = key.secretKeyBytes
        #expect(exported.count == 64)
        let loaded = try SigningKey(secretKeyBytes: exported)
        #expect(loaded.kid == key.kid)
        #expect(loaded.publicKey == key.publicKey)
        let message = Array("hello".utf8)
        #expect(key.publicKey.verify(signature: loaded.sign(message), of: message))
    }

    @Test func corruptSecretKeysAreRefused() {
        let exported = SigningKey.generate().secretKeyBytes
        #expect(throws: KeyError.invalidLength) { try SigningKey(secretKeyBytes: Array(exported.prefix(32))) }
        var corrupted = exported
        corrupted[40] ^= 1  // public half no longer matches the seed
        #expect(throws: KeyError.inconsistentKeyPair) { try SigningKey(secretKeyBytes: corrupted) }
    }

    @Test func signaturesVerifyOnlyForTheSignedMessageAndKey() {
        let key = SigningKey.generate(), other = SigningKey.generate()
        let message = Array("hello".utf8)
        let signature = key.sign(message)
        #expect(signature.count == 64)
        #expect(key.publicKey.verify(signature: signature, of: message))
        #expect(!key.publicKey.verify(signature: signature, of: Array("hellp".utf8)))
        #expect(!other.publicKey.verify(signature: signature, of: message))
        #expect(!key.publicKey.verify(signature: Array(signature.dropLast()), of: message))
    }

    @Test func invalidJWKsAreRefused() {
        let good = SigningKey.generate().jwk.objectValue!
        var rsa = good; rsa["kty"] = "RSA"
        var x25519 = good; x25519["crv"] = "X25519"
        var shortX = good; shortX["x"] = .string(Base64URL.encode([1, 2, 3]))
        var hmac = good; hmac["alg"] = "HS256"
        var numericKid = good; numericKid["kid"] = 7
        for jwk in [rsa, x25519, shortX, hmac, numericKid] {
            #expect(throws: KeyError.invalidJWK) { try PublicKey(jwk: .object(jwk)) }
        }
    }

    @Test func descriptionsDoNotRevealTheSecret() {
        let key = SigningKey.generate()
        let secret = Base64URL.encode(key.secretKeyBytes)
        var dumped = ""
        dump(key, to: &dumped)
        for text in [String(describing: key), String(reflecting: key), dumped] {
            #expect(text.contains(key.kid))
            #expect(!text.contains(secret))
        }
    }
}
