import Foundation
import Testing
import TideIdentity
import TideSQLite

/// A data folder written by an earlier build keeps working: same tables, same migration ledger,
/// nothing migrated again, later migrations added.
@Suite("Existing data folders")
struct ExistingDataTests {
    /// `Fixtures/identity/identity-50a2486.sql`: identity.sqlite as 50a2486 wrote it.
    static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/identity/identity-50a2486.sql").path

    @Test func anIdentityDatabaseWrittenBeforeTheStorageMovedOpensUnchanged() async throws {
        try await withIdentity { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
            let path = fixture.directory + "/" + IdentityStore.fileName
            let restore = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: 1_000)
            try restore.execute(try String(contentsOfFile: Self.fixture, encoding: .utf8))
            restore.close()

            let identity = try fixture.service()
            defer { identity.close() }
            let users = try identity.users()
            #expect(users.map(\.username) == ["alice", "bob"])
            #expect(users.first?.groups == ["admins", "editors"])
            #expect(users.last?.phone == "+14155550123")
            #expect(try identity.apiKeys().map(\.name) == ["ci"])
            // The stored hash verifies, and the token is signed with the stored current key.
            let pair = try await identity.logIn(username: "alice", password: "correct horse battery")
            #expect(kid(of: pair.accessToken) == "IVP7kZVwFB0")

            let check = try Connection(path: path, readOnly: true, busyTimeoutMilliseconds: 1_000)
            defer { check.close() }
            // The two migrations it had are not applied again; the ones added since are.
            #expect(try check.queryFirst("PRAGMA user_version") { $0.int64(0) } == 3)
            var ledger: [String] = []
            try check.query("SELECT \"name\" FROM \"_identity_migrations\" ORDER BY \"name\"") { ledger.append($0.text(0)) }
            #expect(ledger == ["0001-users-groups-sessions-apikeys-signingkeys", "0002-users-groups-changed-at", "0003-key-envelopes"])
        }
    }
}
