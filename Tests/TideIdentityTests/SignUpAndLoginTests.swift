import Foundation
import Testing
import TideCrypto
import TideIdentity
import TideModel

@Suite struct SignUpAndLoginTests {
    @Test func signUpValidatesItsInput() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            let good = "long enough"
            for username in ["", " alice", "al ice", "ålice", ".alice", String(repeating: "a", count: 65), "a/b"] {
                await #expect(throws: IdentityError.self, "username \(username.debugDescription)") {
                    try await identity.signUp(username: username, password: good)
                }
            }
            await #expect(throws: IdentityError.invalidInput(PasswordError.tooShort(minimum: 8).description)) {
                try await identity.signUp(username: "alice", password: "short")
            }
            for email in ["alice", "alice@", "@example.com", "alice@example", "a b@example.com", "a@b@example.com", "alice@example..com"] {
                await #expect(throws: IdentityError.self, "email \(email)") {
                    try await identity.signUp(username: "alice", password: good, email: email)
                }
            }
            for phone in ["4155550123", "+0155550123", "+1 415 555", "+12", "+1234567890123456"] {
                await #expect(throws: IdentityError.self, "phone \(phone)") {
                    try await identity.signUp(username: "alice", password: good, phone: phone)
                }
            }
            let id = try await identity.signUp(username: "alice.smith@example.com", password: good, email: "alice@example.com", phone: "+14155550123")
            let users = try identity.users()
            #expect(users.map(\.id) == [id])
            #expect(users.first?.email == "alice@example.com")
            #expect(users.first?.phone == "+14155550123")
        }
    }

    @Test func usernamesAreUniqueIgnoringCase() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            _ = try await identity.signUp(username: "Alice", password: "long enough")
            await #expect(throws: IdentityError.usernameTaken) { try await identity.signUp(username: "alice", password: "other password") }
            await #expect(throws: IdentityError.usernameTaken) { try await identity.signUp(username: "ALICE", password: "other password") }
            // Login matches in any case; the token carries the spelling chosen at sign-up.
            let pair = try await identity.logIn(username: "aLiCe", password: "long enough")
            #expect(try identity.authenticate(bearer: pair.accessToken).user?.username == "Alice")
        }
    }

    @Test func loginIssuesTokensAndRefusesBadCredentialsAlike() async throws {
        try await withIdentity { fixture in
            let identity = try fixture.service()
            let id = try await identity.addUser(username: "bob", password: "correct horse", groups: ["staff", "admin"])
            let pair = try await identity.logIn(username: "bob", password: "correct horse")
            #expect(pair.expiresIn == 900)
            #expect(!pair.refreshToken.isEmpty)
            let principal = try identity.authenticate(bearer: pair.accessToken)
            #expect(principal == .user(UserIdentity(id: id, username: "bob", groups: ["admin", "staff"])))

            var wrongPassword: IdentityError?
            var unknownUser: IdentityError?
            do throws(IdentityError) { _ = try await identity.logIn(username: "bob", password: "wrong horse") } catch { wrongPassword = error }
            do throws(IdentityError) { _ = try await identity.logIn(username: "nobody", password: "correct horse") } catch { unknownUser = error }
            #expect(wrongPassword == .invalidCredentials)
            #expect(unknownUser == wrongPassword)
        }
    }

    @Test func loginUpgradesAHashMadeWithWeakerLimits() async throws {
        try await withIdentity { fixture in
            let weak = try fixture.service()
            _ = try await weak.signUp(username: "carol", password: "correct horse")
            weak.close()

            let stronger = PasswordHasher(opsLimit: 2, memLimit: PasswordHasher.forTesting.memLimit * 2, minimumLength: 8)
            let identity = try fixture.service { $0.passwordHasher = stronger }
            let store = try IdentityStore(directory: fixture.directory)
            defer { store.close() }
            let before = try #require(try store.user(username: "carol")).passwordHash
            #expect(stronger.needsRehash(before))

            _ = try await identity.logIn(username: "carol", password: "correct horse")
            let after = try #require(try store.user(username: "carol")).passwordHash
            #expect(after != before)
            #expect(!stronger.needsRehash(after))
            #expect(stronger.verify("correct horse", against: after))
            // A wrong password upgrades nothing.
            _ = try? await identity.logIn(username: "carol", password: "wrong horse")
            #expect(try store.user(username: "carol")?.passwordHash == after)
        }
    }
}
