import Foundation
import Testing
import TideModel
import TideTestSupport

/// The admin commands run in another process while sockets are open: a revoked API key, a
/// removed user and a removed group reach those sockets within a second (the server checks the
/// identity database every 250 ms). The waits here are bounded more loosely, for a busy machine.
@Suite struct RevocationTests {
    /// How long a change may take to reach an open socket here; the design is well under a second.
    static let bound: Duration = .seconds(3)

    static func admin(_ env: AuthEnvironment, _ arguments: [String]) async throws {
        let result = try await runTidewater(arguments + ["--data", env.server.dataDirectory.path])
        guard result.status == 0 else { throw TestFailure("tidewater \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    /// The subscription's `error`, then the close frame: what a caller whose credentials went away gets.
    static func expectEnded(_ socket: GraphQLSocket, id: String, reason: String) async throws {
        let error = try await socket.next(timeout: bound)
        #expect(error["type"] == "error" && error["id"] == .string(id), "\(error.jsonString)")
        #expect(error.firstError?["extensions"]?["code"] == "UNAUTHENTICATED")
        #expect(try await socket.closeCode(timeout: bound) == 4403)
        #expect(socket.closeReason?.contains(reason) == true, "\(socket.closeReason ?? "no reason")")
    }

    @Test func aRevokedAPIKeyEndsItsSockets() async throws {
        try await withAuthServer { env in
            let socket = try await SubscriptionAuthorizationTests.socket(
                env, .apiKey, subscribe: "subscription { onCreatePublicDoc { title } }")
            let key = try #require(env.client(.apiKey).credentials["x-api-key"])
            try await Self.admin(env, ["apikeys", "revoke", String(key.dropFirst("tw_".count).prefix(16))])
            try await Self.expectEnded(socket, id: "s", reason: "API key")
        }
    }

    @Test func aRemovedUserLosesItsSocketsAndCannotOpenNewOnes() async throws {
        try await withAuthServer { env in
            let socket = try await SubscriptionAuthorizationTests.socket(
                env, .owner, subscribe: "subscription { onCreateMemberDoc { title } }")
            try await Self.admin(env, ["users", "remove", "alice"])
            try await Self.expectEnded(socket, id: "s", reason: "user was removed")
            // The token itself is valid until it expires; a socket acts for the user as it is now.
            let again = try await GraphQLSocket.connect(env.server)
            try await again.send(["type": "connection_init", "payload": .object(env.client(.owner).credentials.mapValues(JSONValue.string))])
            #expect(try await again.closeCode(timeout: Self.bound) == 4403)
        }
    }

    @Test func aRemovedGroupEndsTheSubscriptionsItAllowedAndKeepsTheOthers() async throws {
        try await withAuthServer { env in
            let socket = try await SubscriptionAuthorizationTests.socket(
                env, .groupMember, subscribe: "subscription { onCreateAdminDoc { title } }")
            try await socket.subscribe("member", "subscription { onCreateMemberDoc { title } }")
            _ = try await env.client(.groupMember).data(#"mutation { createAdminDoc(input: {title: "before"}) { id } }"#)
            #expect(try await socket.nextEvent("s")["data"]?["onCreateAdminDoc"]?["title"] == "before")

            try await Self.admin(env, ["users", "remove-from-group", "carol", "admin"])
            let refused = try await socket.next(timeout: Self.bound)
            #expect(refused["type"] == "error" && refused["id"] == "s", "\(refused.jsonString)")
            #expect(refused.firstError?["extensions"]?["code"] != nil)
            // The other subscription goes on, and the socket stays open.
            _ = try await env.client(.other).data(#"mutation { createMemberDoc(input: {title: "still heard"}) { id } }"#)
            #expect(try await socket.nextEvent("member")["data"]?["onCreateMemberDoc"]?["title"] == "still heard")
            // A new subscription is checked with the groups as they are now, whatever the token says.
            try await socket.subscribe("again", "subscription { onCreateAdminDoc { title } }")
            let again = try await socket.next()
            #expect(again["type"] == "error" && again["id"] == "again", "\(again.jsonString)")
            await socket.close()
        }
    }
}
