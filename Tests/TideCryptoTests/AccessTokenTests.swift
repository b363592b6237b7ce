import CSodium
import Foundation
import Testing
import TideCrypto
import TideModel

@Suite struct AccessTokenTests {
    let key = SigningKey.generate()
    let now = Date(timeIntervalSince1970: 1_750_000_000)
    var verifier: AccessTokenVerifier { AccessTokenVerifier(keys: [key.publicKey], issuer: "tidewater") }

    func claims(iat: Int64? = nil, exp: Int64? = nil, iss: String = "tidewater") -> AccessTokenClaims {
        let t = Int64(now.timeIntervalSince1970)
        return AccessTokenClaims(sub: "user-1", username: "ada", groups: ["admin", "staff"],
                                 iat: iat ?? t, exp: exp ?? t + 900, iss: iss)
    }

    /// A compact JWS built by hand from arbitrary JSON, so tests can craft what the signer never would.
    func craft(header: JSONValue, payload: JSONValue, sign: ([UInt8]) -> [UInt8]) -> String {
        let input = Base64URL.encode(header.jsonBytes) + "." + Base64URL.encode(payload.jsonBytes)
        return input + "." + Base64URL.encode(sign(Array(input.utf8)))
    }

    func segments(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    func json(_ segment: String) throws -> JSONValue { try JSONParser.parse(#require(Base64URL.decode(segment))) }

    // MARK: Round trip

    @Test func signedTokenVerifiesToTheSameClaims() throws {
        let original = claims()
        let token = AccessTokenSigner(key: key).sign(original)
        #expect(try verifier.verify(token, now: now) == original)
        let parts = segments(token)
        #expect(parts.count == 3)
        #expect(try json(parts[0]) == ["alg": "EdDSA", "typ": "JWT", "kid": .string(key.kid)])
        #expect(try json(parts[1]) == original.json)
        #expect(Base64URL.decode(parts[2])?.count == 64)
    }

    @Test func claimsConvenienceInitTruncatesToSeconds() {
        let c = AccessTokenClaims(sub: "u", username: "n", groups: [], issuer: "i",
                                  issuedAt: Date(timeIntervalSince1970: 100.9), lifetime: 60)
        #expect(c.iat == 100 && c.exp == 160)
    }

    // MARK: Algorithm confusion

    @Test(arguments: [
        ["alg": "none", "typ": "JWT"],
        ["alg": "None", "typ": "JWT"],
        ["alg": "HS256", "typ": "JWT"],
        ["alg": "RS256", "typ": "JWT"],
        ["alg": "eddsa", "typ": "JWT"],
        ["alg": "Ed25519", "typ": "JWT"],
        ["alg": ["EdDSA"], "typ": "JWT"],
        ["typ": "JWT"],
    ] as [JSONValue])
    func onlyEdDSAIsAccepted(header: JSONValue) throws {
        var withKid = header.objectValue!
        withKid["kid"] = .string(key.kid)
        for h in [header, .object(withKid)] {
            // Validly signed with the real key: the algorithm check alone must refuse it.
            let signed = craft(header: h, payload: claims().json, sign: key.sign)
            #expect(throws: TokenError.unsupportedAlgorithm) { try verifier.verify(signed, now: now) }
            // Unsigned ("alg":"none" style with an empty signature).
            let unsigned = craft(header: h, payload: claims().json) { _ in [] }
            #expect(throws: TokenError.unsupportedAlgorithm) { try verifier.verify(unsigned, now: now) }
        }
    }

    @Test func hmacSignedWithThePublicKeyIsRejected() throws {
        // The classic confusion attack: HS256 keyed with the published public key bytes.
        let publicKey = try #require(key.jwk["x"]?.stringValue.flatMap(Base64URL.decode))
        let header: JSONValue = ["alg": "HS256", "typ": "JWT", "kid": .string(key.kid)]
        let token = craft(header: header, payload: claims().json) { input in
            var mac = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
            var state = crypto_auth_hmacsha256_state()
            crypto_auth_hmacsha256_init(&state, publicKey, publicKey.count)
            crypto_auth_hmacsha256_update(&state, input, UInt64(input.count))
            crypto_auth_hmacsha256_final(&state, &mac)
            return mac
        }
        #expect(throws: TokenError.unsupportedAlgorithm) { try verifier.verify(token, now: now) }
        // Even relabelled as EdDSA, an HMAC is no Ed25519 signature.
        let parts = segments(token)
        let relabelled = craft(header: ["alg": "EdDSA", "typ": "JWT", "kid": .string(key.kid)], payload: claims().json) { _ in
            Base64URL.decode(parts[2])!
        }
        #expect(throws: TokenError.badSignature) { try verifier.verify(relabelled, now: now) }
    }

    @Test func criticalHeadersAreRejected() {
        let token = craft(header: ["alg": "EdDSA", "kid": .string(key.kid), "crit": ["b64"], "b64": false],
                          payload: claims().json, sign: key.sign)
        #expect(throws: TokenError.unsupportedCriticalHeader) { try verifier.verify(token, now: now) }
    }

    // MARK: Tampering

    @Test func tamperedPayloadIsRejected() throws {
        let token = AccessTokenSigner.sign(claims(), with: key)
        var parts = segments(token)
        var forged = claims()
        forged.groups.append("superuser")
        parts[1] = Base64URL.encode(forged.json.jsonBytes)
        #expect(throws: TokenError.badSignature) { try verifier.verify(parts.joined(separator: "."), now: now) }
    }

    @Test func tamperedSignatureIsRejected() throws {
        let token = AccessTokenSigner.sign(claims(), with: key)
        var parts = segments(token)
        var signature = try #require(Base64URL.decode(parts[2]))
        signature[10] ^= 0x01
        parts[2] = Base64URL.encode(signature)
        #expect(throws: TokenError.badSignature) { try verifier.verify(parts.joined(separator: "."), now: now) }
        parts[2] = Base64URL.encode(Array(signature.prefix(63)))
        #expect(throws: TokenError.badSignature) { try verifier.verify(parts.joined(separator: "."), now: now) }
        parts[2] = ""
        #expect(throws: TokenError.badSignature) { try verifier.verify(parts.joined(separator: "."), now: now) }
    }

    @Test func tamperedHeaderIsRejected() throws {
        // Swapping in an equivalent header changes the signing input.
        let token = AccessTokenSigner.sign(claims(), with: key)
        var parts = segments(token)
        parts[0] = Base64URL.encode(Array(#"{"typ":"JWT","alg":"EdDSA","kid":"\#(key.kid)"}"#.utf8))
        #expect(throws: TokenError.badSignature) { try verifier.verify(parts.joined(separator: "."), now: now) }
    }

    @Test(arguments: [
        "", "abc", "a.b", "a.b.c.d", "..", "!!!.e30.AA",
        "\(Base64URL.encode(Array("not json".utf8))).e30.AA",
        "\(Base64URL.encode(Array("[1,2]".utf8))).e30.AA",
        "\(Base64URL.encode(Array(#"{"alg":"EdDSA"}"#.utf8)))=.e30.AA",  // padding is not base64url-nopad
    ])
    func malformedTokensAreRejected(token: String) {
        #expect(throws: TokenError.malformed) { try verifier.verify(token, now: now) }
    }

    @Test func oversizedTokenIsRejectedBeforeParsing() {
        let token = String(repeating: "A", count: AccessTokenVerifier.maximumTokenLength + 1)
        #expect(throws: TokenError.malformed) { try verifier.verify(token, now: now) }
    }

    @Test func nonObjectPayloadIsMalformed() {
        let token = craft(header: ["alg": "EdDSA", "kid": .string(key.kid)], payload: [1, 2], sign: key.sign)
        #expect(throws: TokenError.malformed) { try verifier.verify(token, now: now) }
    }

    // MARK: Claims

    @Test func missingOrIllTypedClaimsAreRejected() throws {
        let good = claims().json.objectValue!
        var variants: [[String: JSONValue]] = []
        // Every claim is required except Tidewater's optional `gca`, which must be an integer.
        for name in good.keys where name != "gca" {
            var missing = good; missing[name] = nil
            variants.append(missing)
        }
        var ill = good; ill["gca"] = "yesterday"; variants.append(ill)
        var v = good; v["exp"] = .string("1750000900"); variants.append(v)
        v = good; v["exp"] = .double(1_750_000_900.5); variants.append(v)
        v = good; v["groups"] = "admin"; variants.append(v)
        v = good; v["groups"] = ["admin", 1]; variants.append(v)
        v = good; v["sub"] = 1; variants.append(v)
        v = good; v["nbf"] = "soon"; variants.append(v)
        for payload in variants {
            let token = craft(header: ["alg": "EdDSA", "kid": .string(key.kid)], payload: .object(payload), sign: key.sign)
            #expect(throws: TokenError.invalidClaims) { try verifier.verify(token, now: now) }
        }
    }

    @Test func wrongIssuerIsRejected() {
        let token = AccessTokenSigner.sign(claims(iss: "someone-else"), with: key)
        #expect(throws: TokenError.wrongIssuer) { try verifier.verify(token, now: now) }
        let other = AccessTokenVerifier(keys: [key.publicKey], issuer: "someone-else")
        #expect(throws: Never.self) { try other.verify(token, now: now) }
    }

    @Test func expiryHonoursTheLeeway() throws {
        let t = Int64(now.timeIntervalSince1970)
        let iat = t - 1000
        // Leeway 30 s: expired 29 s ago still passes, 30 s or more does not.
        let within = AccessTokenSigner.sign(claims(iat: iat, exp: t - 29), with: key)
        #expect(try verifier.verify(within, now: now).exp == t - 29)
        let atLimit = AccessTokenSigner.sign(claims(iat: iat, exp: t - 30), with: key)
        #expect(throws: TokenError.expired) { try verifier.verify(atLimit, now: now) }
        let long = AccessTokenSigner.sign(claims(iat: iat, exp: t - 3600), with: key)
        #expect(throws: TokenError.expired) { try verifier.verify(long, now: now) }
        let strict = AccessTokenVerifier(keys: [key.publicKey], issuer: "tidewater", leewaySeconds: 0)
        let fresh = AccessTokenSigner.sign(claims(iat: iat, exp: t + 1), with: key)
        #expect(throws: Never.self) { try strict.verify(fresh, now: now) }
        #expect(throws: TokenError.expired) { try strict.verify(fresh, now: now.addingTimeInterval(1)) }
        // Extreme values cannot overflow into acceptance.
        let ancient = AccessTokenSigner.sign(claims(iat: .min, exp: .min), with: key)
        #expect(throws: TokenError.expired) { try verifier.verify(ancient, now: now) }
    }

    @Test func futureIssueTimeHonoursTheLeeway() throws {
        let t = Int64(now.timeIntervalSince1970)
        let slightlyAhead = AccessTokenSigner.sign(claims(iat: t + 30, exp: t + 900), with: key)
        #expect(throws: Never.self) { try verifier.verify(slightlyAhead, now: now) }
        let farAhead = AccessTokenSigner.sign(claims(iat: t + 31, exp: t + 900), with: key)
        #expect(throws: TokenError.notYetValid) { try verifier.verify(farAhead, now: now) }
        let maxIat = AccessTokenSigner.sign(claims(iat: .max, exp: .max), with: key)
        #expect(throws: TokenError.notYetValid) { try verifier.verify(maxIat, now: now) }
        var payload = claims().json.objectValue!
        payload["nbf"] = .int(t + 120)
        let notBefore = craft(header: ["alg": "EdDSA", "kid": .string(key.kid)], payload: .object(payload), sign: key.sign)
        #expect(throws: TokenError.notYetValid) { try verifier.verify(notBefore, now: now) }
        #expect(throws: Never.self) { try verifier.verify(notBefore, now: now.addingTimeInterval(120)) }
    }

    // MARK: Key rotation

    @Test func rotationKeepsOldTokensValidUntilTheOldKeyIsRemoved() throws {
        let old = key, new = SigningKey.generate()
        let oldToken = AccessTokenSigner.sign(claims(), with: old)
        let newToken = AccessTokenSigner.sign(claims(), with: new)

        let during = AccessTokenVerifier(keys: [new.publicKey, old.publicKey], issuer: "tidewater")
        #expect(try during.verify(oldToken, now: now) == claims())
        #expect(try during.verify(newToken, now: now) == claims())

        let after = AccessTokenVerifier(keys: [new.publicKey], issuer: "tidewater")
        #expect(throws: TokenError.unknownKey) { try after.verify(oldToken, now: now) }
        #expect(try after.verify(newToken, now: now) == claims())
    }

    @Test func kidRoutesToExactlyOneKey() {
        let old = key, new = SigningKey.generate()
        let both = AccessTokenVerifier(keys: [old.publicKey, new.publicKey], issuer: "tidewater")
        // Header names the new key but the old key signed: the named key alone is tried.
        let mislabelled = craft(header: ["alg": "EdDSA", "typ": "JWT", "kid": .string(new.kid)],
                                payload: claims().json, sign: old.sign)
        #expect(throws: TokenError.badSignature) { try both.verify(mislabelled, now: now) }
        let unknown = craft(header: ["alg": "EdDSA", "kid": "nope"], payload: claims().json, sign: old.sign)
        #expect(throws: TokenError.unknownKey) { try both.verify(unknown, now: now) }
        let numericKid = craft(header: ["alg": "EdDSA", "kid": 1], payload: claims().json, sign: old.sign)
        #expect(throws: TokenError.malformed) { try both.verify(numericKid, now: now) }
    }

    @Test func tokenWithoutKidIsTriedAgainstEveryKey() {
        let old = key, new = SigningKey.generate()
        let token = craft(header: ["alg": "EdDSA", "typ": "JWT"], payload: claims().json, sign: old.sign)
        let both = AccessTokenVerifier(keys: [new.publicKey, old.publicKey], issuer: "tidewater")
        #expect(throws: Never.self) { try both.verify(token, now: now) }
        let onlyNew = AccessTokenVerifier(keys: [new.publicKey], issuer: "tidewater")
        #expect(throws: TokenError.badSignature) { try onlyNew.verify(token, now: now) }
        let none = AccessTokenVerifier(keys: [], issuer: "tidewater")
        #expect(throws: TokenError.badSignature) { try none.verify(token, now: now) }
    }

    @Test func errorDescriptionsAreGeneric() {
        let all: [TokenError] = [.malformed, .unsupportedAlgorithm, .unsupportedCriticalHeader, .unknownKey,
                                 .badSignature, .wrongIssuer, .expired, .notYetValid, .invalidClaims]
        #expect(Set(all.map(\.description)).count == all.count)
        for error in all { #expect(error.description.hasPrefix("access token ")) }
    }
}
