import Foundation
import Testing
import TideIdentity
import TideModel

@Suite struct RefreshSessionTests {
    @Test func refreshRotatesTheToken() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "dave", password: "long enough")
            let first = try await identity.logIn(username: "dave", password: "long enough")
            let second = try await identity.refresh(refreshToken: first.refreshToken)
            #expect(second.refreshToken != first.refreshToken)
            #expect(try identity.authenticate(bearer: second.accessToken).user?.username == "dave")
            let third = try await identity.refresh(refreshToken: second.refreshToken)
            #expect(third.refreshToken != second.refreshToken)
            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.refresh(refreshToken: "not-a-token") }
        }
    }

    @Test func reusingATokenRevokesTheWholeFamily() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "erin", password: "long enough")
            let stolen = try await identity.logIn(username: "erin", password: "long enough")
            let other = try await identity.logIn(username: "erin", password: "long enough")  // another device
            let legitimate = try await identity.refresh(refreshToken: stolen.refreshToken)
            let newest = try await identity.refresh(refreshToken: legitimate.refreshToken)

            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.refresh(refreshToken: stolen.refreshToken) }
            // The newest token of that family is dead too; the other login's family is untouched.
            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.refresh(refreshToken: newest.refreshToken) }
            _ = try await identity.refresh(refreshToken: other.refreshToken)
        }
    }

    @Test func refreshTokensExpire() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service { $0.refreshTokenLifetimeSeconds = 60 }
            _ = try await identity.signUp(username: "fay", password: "long enough")
            let pair = try await identity.logIn(username: "fay", password: "long enough")
            fixture.clock.advance(seconds: 61)
            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.refresh(refreshToken: pair.refreshToken) }
        }
    }

    @Test func logoutRevokesTheFamily() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "gus", password: "long enough")
            let first = try await identity.logIn(username: "gus", password: "long enough")
            let second = try await identity.refresh(refreshToken: first.refreshToken)
            try await identity.logOut(refreshToken: second.refreshToken)
            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.refresh(refreshToken: second.refreshToken) }
            try await identity.logOut(refreshToken: second.refreshToken)  // idempotent
            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.logOut(refreshToken: "never-issued") }
        }
    }

    @Test func aRemovedUserCannotRefresh() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "hal", password: "long enough")
            let pair = try await identity.logIn(username: "hal", password: "long enough")
            try identity.removeUser(username: "hal")
            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.refresh(refreshToken: pair.refreshToken) }
            await #expect(throws: IdentityError.invalidCredentials) { try await identity.logIn(username: "hal", password: "long enough") }
            #expect(throws: IdentityError.notFound("user 'hal'")) { try identity.removeUser(username: "hal") }
        }
    }

    @Test func groupChangesArriveWithTheNextRefresh() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "ivy", password: "long enough")
            let pair = try await identity.logIn(username: "ivy", password: "long enough")
            #expect(try identity.authenticate(bearer: pair.accessToken).user?.groups == [])

            try identity.addToGroup(username: "ivy", group: "editors")
            try identity.addToGroup(username: "ivy", group: "admin")
            #expect(try identity.authenticate(bearer: pair.accessToken).user?.groups == [], "live tokens keep their groups")
            let refreshed = try await identity.refresh(refreshToken: pair.refreshToken)
            #expect(try identity.authenticate(bearer: refreshed.accessToken).user?.groups == ["admin", "editors"])

            try identity.removeFromGroup(username: "ivy", group: "admin")
            let again = try await identity.refresh(refreshToken: refreshed.refreshToken)
            #expect(try identity.authenticate(bearer: again.accessToken).user?.groups == ["editors"])
            #expect(try identity.users().first?.groups == ["editors"])
            #expect(throws: IdentityError.self) { try identity.addToGroup(username: "ivy", group: "bad group") }
        }
    }

    @Test func settingAPasswordRevokesSessions() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "jan", password: "long enough")
            let pair = try await identity.logIn(username: "jan", password: "long enough")
            try await identity.setPassword(username: "jan", password: "a new password")
            await #expect(throws: IdentityError.invalidRefreshToken) { try await identity.refresh(refreshToken: pair.refreshToken) }
            await #expect(throws: IdentityError.invalidCredentials) { try await identity.logIn(username: "jan", password: "long enough") }
            _ = try await identity.logIn(username: "jan", password: "a new password")
        }
    }
}
