import Foundation
import Logging
import Testing
import TideIdentity
import TideModel
import TideTestSupport

/// Every event is checked against the subscriber's rights on that event's record
/// (Fixtures/schemas/auth-matrix.graphql).
@Suite struct SubscriptionAuthorizationTests {
    typealias Caller = AuthorizationMatrixTests.Caller

    /// A socket acknowledged for `caller`, after a round trip so that what was sent before is in effect.
    static func socket(_ env: AuthEnvironment, _ caller: Caller, subscribe query: String) async throws -> GraphQLSocket {
        let socket = try await GraphQLSocket.connect(env.server)
        try await socket.initialize(env.client(caller).credentials)
        try await socket.subscribe("s", query)
        try await socket.send(["type": "ping"])
        let reply = try await socket.next()
        guard reply["type"] == "pong" else { throw TestFailure("subscription refused: \(reply.jsonString)") }
        return socket
    }

    static func titles(_ messages: [JSONValue], _ field: String) -> [String] {
        messages.compactMap { $0["payload"]?["data"]?[field]?["title"]?.stringValue }
    }

    @Test func anOwnerHearsOnlyAboutTheirOwnRecords() async throws {
        try await withAuthServer { env in
            let alice = try await Self.socket(env, .owner, subscribe: "subscription { onCreateOwnerDoc { title owner } }")
            let bob = try await Self.socket(env, .other, subscribe: "subscription { onCreateOwnerDoc { title } }")
            _ = try await env.client(.owner).data(#"mutation { createOwnerDoc(input: {title: "alice's"}) { id } }"#)
            _ = try await env.client(.other).data(#"mutation { createOwnerDoc(input: {title: "bob's"}) { id } }"#)
            let toAlice = try await alice.drain()
            #expect(Self.titles(toAlice, "onCreateOwnerDoc") == ["alice's"])
            #expect(toAlice.first?["payload"]?["data"]?["onCreateOwnerDoc"]?["owner"] == .string(try env.userID(.owner)))
            #expect(Self.titles(try await bob.drain(), "onCreateOwnerDoc") == ["bob's"])
            await alice.close()
            await bob.close()
        }
    }

    @Test func oneDocumentForManyUsersSharesOnlyWhatEachMayRead() async throws {
        // Without field rules the server renders an event once for every subscriber of the same
        // document, whoever they are; whether each one hears it is still decided per subscriber.
        try await withAuthServer { env in
            let query = "subscription { onCreateOwnerDoc { title } }"
            let alice = try await Self.socket(env, .owner, subscribe: query)
            let bob = try await Self.socket(env, .other, subscribe: query)
            let alice2 = try await Self.socket(env, .owner, subscribe: query)
            for (caller, title) in [(Caller.owner, "a1"), (.other, "b1"), (.owner, "a2"), (.other, "b2")] {
                _ = try await env.client(caller).data(
                    "mutation C($t: String!) { createOwnerDoc(input: {title: $t}) { id } }", variables: ["t": .string(title)])
            }
            #expect(Self.titles(try await alice.drain(), "onCreateOwnerDoc") == ["a1", "a2"])
            #expect(Self.titles(try await alice2.drain(), "onCreateOwnerDoc") == ["a1", "a2"])
            #expect(Self.titles(try await bob.drain(), "onCreateOwnerDoc") == ["b1", "b2"])
            for socket in [alice, bob, alice2] { await socket.close() }
        }
    }

    @Test func theOwnerArgumentFiltersLikeAmplify() async throws {
        try await withAuthServer { env in
            // alice names herself by username (stored owners are user ids); carol, an admin, watches bob's.
            let alice = try await Self.socket(env, .owner, subscribe: #"subscription { onCreateCaseDoc(owner: "alice") { title } }"#)
            let carol = try await Self.socket(
                env, .groupMember, subscribe: "subscription { onCreateCaseDoc(owner: \"\(try env.userID(.other))\") { title } }")
            _ = try await env.client(.owner).data(#"mutation { createCaseDoc(input: {title: "a"}) { id } }"#)
            _ = try await env.client(.other).data(#"mutation { createCaseDoc(input: {title: "b"}) { id } }"#)
            #expect(Self.titles(try await alice.drain(), "onCreateCaseDoc") == ["a"])
            #expect(Self.titles(try await carol.drain(), "onCreateCaseDoc") == ["b"])
            await alice.close()
            await carol.close()
        }
    }

    @Test func anUpdateThatTakesARecordAwayIsNotHeard() async throws {
        try await withAuthServer { env in
            // carol (admin) may hand a CaseDoc to someone else; alice stops hearing about it.
            let alice = try await Self.socket(env, .owner, subscribe: "subscription { onUpdateCaseDoc { title } }")
            let created = try await env.client(.owner).data(#"mutation { createCaseDoc(input: {title: "case"}) { id } }"#)
            let id = created["createCaseDoc"]?["id"] ?? .null
            _ = try await env.client(.owner).data(
                "mutation U($id: ID!) { updateCaseDoc(input: {id: $id, _version: 1, title: \"still mine\"}) { id } }",
                variables: ["id": id])
            _ = try await env.client(.groupMember).data(
                "mutation U($id: ID!, $o: String) { updateCaseDoc(input: {id: $id, _version: 2, title: \"handed over\", owner: $o}) { id } }",
                variables: ["id": id, "o": .string(try env.userID(.other))])
            #expect(Self.titles(try await alice.drain(), "onUpdateCaseDoc") == ["still mine"])
            await alice.close()
        }
    }

    @Test func fieldRulesRedactPerSubscriber() async throws {
        try await withAuthServer { env in
            let query = "subscription { onCreateFieldDoc { title secret } }"
            let alice = try await Self.socket(env, .owner, subscribe: query)
            let bob = try await Self.socket(env, .other, subscribe: query)
            _ = try await env.client(.owner).data(#"mutation { createFieldDoc(input: {title: "f", secret: "s3cret"}) { id } }"#)
            #expect(try await alice.nextEvent("s")["data"]?["onCreateFieldDoc"]?["secret"] == "s3cret")
            let toBob = try await bob.nextEvent("s")["data"]?["onCreateFieldDoc"]
            #expect(toBob?["title"] == "f")
            #expect(toBob?["secret"] == .null)
            await alice.close()
            await bob.close()
        }
    }

    @Test func apiKeyVersusSignedInUser() async throws {
        try await withAuthServer { env in
            // public: API keys only; private: signed-in users only.
            let keyOnPublic = try await Self.socket(env, .apiKey, subscribe: "subscription { onCreatePublicDoc { title } }")
            let userOnMember = try await Self.socket(env, .owner, subscribe: "subscription { onCreateMemberDoc { title } }")
            for (caller, query) in [
                (Caller.owner, "subscription { onCreatePublicDoc { title } }"),
                (.apiKey, "subscription { onCreateMemberDoc { title } }"),
                (.anonymous, "subscription { onCreateMemberDoc { title } }"),
            ] {
                let socket = try await GraphQLSocket.connect(env.server)
                try await socket.initialize(env.client(caller).credentials)
                try await socket.subscribe("s", query)
                let refused = try await socket.next()
                #expect(refused["type"] == "error", "\(caller)")
                let code = refused.firstError?["extensions"]?["code"]?.stringValue
                #expect(code == (caller == .anonymous ? "UNAUTHENTICATED" : "FORBIDDEN"), "\(caller)")
                await socket.close()
            }
            _ = try await env.client(.apiKey).data(#"mutation { createPublicDoc(input: {title: "p"}) { id } }"#)
            _ = try await env.client(.owner).data(#"mutation { createMemberDoc(input: {title: "m"}) { id } }"#)
            #expect(Self.titles(try await keyOnPublic.drain(), "onCreatePublicDoc") == ["p"])
            #expect(Self.titles(try await userOnMember.drain(), "onCreateMemberDoc") == ["m"])
            await keyOnPublic.close()
            await userOnMember.close()
        }
    }

    @Test func groupRightsComeWithTheToken() async throws {
        try await withAuthServer { env in
            let carol = try await Self.socket(env, .groupMember, subscribe: "subscription { onCreateAdminDoc { title } }")
            _ = try await env.client(.groupMember).data(#"mutation { createAdminDoc(input: {title: "a1"}) { id } }"#)
            #expect(Self.titles(try await carol.drain(), "onCreateAdminDoc") == ["a1"])
            await carol.close()

            // Removed from admin: her next token has no admin group, and a subscription with it is refused.
            let identity = try IdentityService(store: IdentityStore(directory: env.server.dataDirectory.path), logger: Logger(label: "test"))
            defer { identity.close() }
            try identity.removeFromGroup(username: "carol", group: "admin")
            let token = try await HTTPClient().signIn(env.server.baseURL, username: "carol")
            let socket = try await GraphQLSocket.connect(env.server)
            try await socket.initialize(["Authorization": "Bearer \(token)"])
            try await socket.subscribe("s", "subscription { onCreateAdminDoc { title } }")
            #expect(try await socket.next().firstError?["extensions"]?["code"] == "FORBIDDEN")
            await socket.close()
        }
    }

    @Test func anExpiringTokenEndsTheSubscriptionWithAnError() async throws {
        try await withAuthServer { env in
            // Issued so that it expires (exp plus the 30 s leeway) 10 s from now: time enough for a
            // loaded CI machine to hash the password, connect and see one event first.
            var configuration = IdentityConfiguration()
            let shift = Double(configuration.accessTokenLifetimeSeconds + configuration.leewaySeconds - 10)
            configuration.now = { Date().addingTimeInterval(-shift) }
            let past = try IdentityService(
                store: IdentityStore(directory: env.server.dataDirectory.path), configuration: configuration, logger: Logger(label: "test"))
            let token = try await past.logIn(username: "alice", password: testPassword).accessToken
            past.close()

            let socket = try await GraphQLSocket.connect(env.server)
            try await socket.initialize(["Authorization": "Bearer \(token)"])
            try await socket.subscribe("s", "subscription { onCreateMemberDoc { title } }")
            _ = try await env.client(.owner).data(#"mutation { createMemberDoc(input: {title: "before"}) { id } }"#)
            #expect(try await socket.nextEvent("s")["data"]?["onCreateMemberDoc"]?["title"] == "before")
            let ended = try await socket.next(timeout: .seconds(20))
            #expect(ended["type"] == "error")
            #expect(ended["id"] == "s")
            #expect(ended.firstError?["extensions"]?["code"] == "UNAUTHENTICATED")
            #expect(try await socket.closeCode() == 4403)
        }
    }

    @Test func aRevokedAPIKeyEndsItsSubscriptions() async throws {
        // Keys are checked again at every keepalive: every half second here.
        try await withAuthServer(extraArguments: ["--ws-ping-interval", "0.5"]) { env in
            let identity = try IdentityService(
                store: IdentityStore(directory: env.server.dataDirectory.path), logger: Logger(label: "test"))
            defer { identity.close() }
            let created = try identity.createAPIKey(name: "revoked while open")
            let socket = try await GraphQLSocket.connect(env.server)
            try await socket.initialize(["x-api-key": created.key])
            try await socket.subscribe("s", "subscription { onCreatePublicDoc { title } }")
            _ = try await env.client(.apiKey).data(#"mutation { createPublicDoc(input: {title: "before"}) { id } }"#)
            #expect(try await socket.nextEvent("s")["data"]?["onCreatePublicDoc"]?["title"] == "before")

            try identity.revokeAPIKey(id: created.summary.id)
            let ended = try await socket.next(timeout: .seconds(20))
            #expect(ended["type"] == "error")
            #expect(ended["id"] == "s")
            #expect(ended.firstError?["extensions"]?["code"] == "UNAUTHENTICATED")
            #expect(try await socket.closeCode() == 4403)
        }
    }
}
