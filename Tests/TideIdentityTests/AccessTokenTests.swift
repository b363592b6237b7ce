import Foundation
import Testing
import TideCrypto
import TideModel
@testable import TideIdentity

@Suite struct AccessTokenTests {
    @Test func forgedAndForeignTokensAreRefused() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "kim", password: "long enough")
            let token = try await identity.logIn(username: "kim", password: "long enough").accessToken
            let parts = token.split(separator: ".").map(String.init)
            let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
            let hs256 = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + parts[1] + "." + parts[2]
            var signature = Base64URL.decode(parts[2])!
            signature[0] ^= 1
            let badSignature = parts[0] + "." + parts[1] + "." + Base64URL.encode(signature)
            for forged in [none, hs256, badSignature, "", "a.b.c", String(repeating: "x", count: 9000)] {
                #expect(throws: IdentityError.self) { try identity.authenticate(bearer: forged) }
            }
            // Another issuer on the same keys does not accept it.
            let other = try fixture.service { $0.issuer = "someone-else" }
            #expect(throws: IdentityError.unauthenticated(reason: TokenError.wrongIssuer.description)) {
                try other.authenticate(bearer: token)
            }
        }
    }

    @Test func verifiedTokensAreCachedUntilTheyExpire() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service { $0.accessTokenLifetimeSeconds = 60 }
            _ = try await identity.signUp(username: "lou", password: "long enough")
            let token = try await identity.logIn(username: "lou", password: "long enough").accessToken
            let first = try identity.authenticate(bearer: token)
            #expect(identity.tokenCache.count == 1)
            #expect(try identity.authenticate(bearer: token) == first)
            #expect(identity.tokenCache.count == 1, "the second call was a cache hit")

            fixture.clock.advance(seconds: 60 + 30 - 1)  // lifetime plus leeway, less a second
            #expect(try identity.authenticate(bearer: token) == first)
            fixture.clock.advance(seconds: 1)
            #expect(throws: IdentityError.unauthenticated(reason: TokenError.expired.description)) {
                try identity.authenticate(bearer: token)
            }
            #expect(identity.tokenCache.count == 0, "the expired entry was dropped")
        }
    }

    @Test func theCacheIsBounded() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service { $0.tokenCacheCapacity = 3 }
            _ = try await identity.signUp(username: "max", password: "long enough")
            for _ in 0..<5 {
                let token = try await identity.logIn(username: "max", password: "long enough").accessToken
                _ = try identity.authenticate(bearer: token)
                fixture.clock.advance(seconds: 1)  // distinct iat, so distinct tokens
            }
            #expect(identity.tokenCache.count <= 3)
        }
    }

    @Test func rotationKeepsOldTokensValidUntilTheyExpire() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "ned", password: "long enough")
            let before = try await identity.logIn(username: "ned", password: "long enough").accessToken
            let oldKid = try #require(kid(of: before))

            let newKid = try identity.rotateSigningKey()
            #expect(newKid != oldKid)
            let after = try await identity.logIn(username: "ned", password: "long enough").accessToken
            #expect(kid(of: after) == newKid)
            #expect(try jwksKids(identity) == [newKid, oldKid])

            // A fresh process (no cache) verifies both.
            let fresh = try fixture.service()
            #expect(try fresh.authenticate(bearer: before).user?.username == "ned")
            #expect(try fresh.authenticate(bearer: after).user?.username == "ned")

            // Once every token of the old key has expired (lifetime + leeway), it leaves the JWKS.
            fixture.clock.advance(seconds: 900 + 30 + 1)
            #expect(try jwksKids(identity) == [newKid])
            #expect(throws: IdentityError.self) { try fresh.authenticate(bearer: before) }
        }
    }

    @Test func aRotationByAnotherProcessIsPickedUp() async throws {
        try await withIdentity { fixture in
            let server = try fixture.service { $0.reloadInterval = .milliseconds(200) }
            let cli = try fixture.service()
            _ = try await server.signUp(username: "oda", password: "long enough")
            let before = try await server.logIn(username: "oda", password: "long enough").accessToken
            let newKid = try cli.rotateSigningKey()

            let deadline = ContinuousClock.now + .seconds(5)
            var latest = before
            while kid(of: latest) != newKid, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                latest = try await server.logIn(username: "oda", password: "long enough").accessToken
            }
            #expect(kid(of: latest) == newKid)
            #expect(try jwksKids(server) == [newKid, try #require(kid(of: before))])
            #expect(try server.authenticate(bearer: before).user?.username == "oda")
        }
    }

    private func jwksKids(_ identity: IdentityService) throws -> [String] {
        let jwks = try JSONParser.parse(identity.jwks())
        return jwks["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue } ?? []
    }
}
