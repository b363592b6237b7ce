import Foundation
import Testing
import TideIdentity
import TideModel

@Suite struct APIKeyTests {
    @Test func createAuthenticateRevoke() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            let created = try identity.createAPIKey(name: "public web")
            #expect(created.key.wholeMatch(of: /tw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/) != nil)
            #expect(try identity.authenticate(apiKey: created.key) == .apiKey(id: created.summary.id))

            let listed = try identity.apiKeys()
            #expect(listed == [created.summary])
            #expect(listed.first?.expiresAt == nil)

            let wrongSecret = String(created.key.dropLast()) + (created.key.hasSuffix("A") ? "B" : "A")
            for bad in [wrongSecret, "tw_0000000000000000_" + created.key.suffix(43), "nonsense", ""] {
                #expect(throws: IdentityError.self) { try identity.authenticate(apiKey: bad) }
            }

            try identity.revokeAPIKey(id: created.summary.id)
            #expect(throws: IdentityError.unauthenticated(reason: "API key is unknown or revoked")) {
                try identity.authenticate(apiKey: created.key)
            }
            #expect(try identity.apiKeys().first?.revokedAt != nil)
            #expect(throws: IdentityError.notFound("API key 'nope'")) { try identity.revokeAPIKey(id: "nope") }
            #expect(throws: IdentityError.self) { try identity.createAPIKey(name: "") }
        }
    }

    @Test func keysExpire() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            let created = try identity.createAPIKey(name: "short", expiresIn: .seconds(60))
            #expect(created.summary.expiresAt == fixture.clock.now().addingTimeInterval(60))
            fixture.clock.advance(seconds: 59)
            _ = try identity.authenticate(apiKey: created.key)
            fixture.clock.advance(seconds: 1)
            #expect(throws: IdentityError.unauthenticated(reason: "API key has expired")) { try identity.authenticate(apiKey: created.key) }
        }
    }

    @Test func changesByAnotherProcessApplyWithinTheReloadInterval() async throws {
        try await withIdentity { fixture in
            let server = try fixture.service { $0.reloadInterval = .milliseconds(200) }
            let cli = try fixture.service()
            let created = try cli.createAPIKey(name: "from the CLI")
            try await eventually { (try? server.authenticate(apiKey: created.key)) != nil }
            try cli.revokeAPIKey(id: created.summary.id)
            try await eventually { (try? server.authenticate(apiKey: created.key)) == nil }
        }
    }

    /// A key the CLI just made works at its first use: a miss checks for outside changes at once.
    @Test func aKeyCreatedElsewhereWorksImmediately() async throws {
        try await withIdentity { fixture in
            let server = try fixture.service { $0.reloadInterval = .seconds(3600) }
            let cli = try fixture.service()
            let created = try cli.createAPIKey(name: "from the CLI")
            #expect(try server.authenticate(apiKey: created.key) == .apiKey(id: created.summary.id))
        }
    }

    /// Polls `condition` every 50 ms for at most 5 s.
    private func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 5 s")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
