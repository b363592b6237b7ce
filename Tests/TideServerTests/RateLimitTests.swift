import Foundation
import Logging
import Testing
import TideIdentity
import TideModel
import TideTestSupport

/// Rate limits through a real server: 429 with Retry-After, per key, before any work.
@Suite struct RateLimitTests {
    // Limits are per hour: no token refills during a test, however slow the machine.
    @Test func loginThrottlingPerAddressDoesNoWork() async throws {
        try await withServer(extraArguments: ["--auth-rate-limit", "3/h"], signIn: false) { server, _ in
            let http = HTTPClient()
            let signup = server.baseURL.appendingPathComponent("auth/signup")
            for i in 0..<3 {
                let reply = try await http.postJSON(signup, ["username": .string("user\(i)"), "password": .string(testPassword)])
                #expect(reply.status == 201, "\(reply.text)")
            }
            let limited = try await http.postJSON(signup, ["username": "late", "password": .string(testPassword)])
            #expect(limited.status == 429)
            #expect(limited.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            let retryAfter = try #require(limited.header("Retry-After").flatMap(Int.init))
            #expect((1...1200).contains(retryAfter), "about one token's refill time")
            let login = try await http.postJSON(
                server.baseURL.appendingPathComponent("auth/login"), ["username": "user0", "password": .string(testPassword)])
            #expect(login.status == 429, "every /auth route shares the address's budget")

            let identity = try IdentityService(store: IdentityStore(directory: server.dataDirectory.path), logger: Logger(label: "test"))
            defer { identity.close() }
            #expect(try identity.users().map(\.username).sorted() == ["user0", "user1", "user2"], "the limited sign-up did nothing")
        }
    }

    @Test func graphQLLimitsPerUserAndRefusedWritesDoNothing() async throws {
        try await withServer(extraArguments: ["--graphql-rate-limit", "4/h"]) { server, tester in
            let other = GraphQLClient(
                server, credentials: ["Authorization": "Bearer " + (try await HTTPClient().signIn(server.baseURL, username: "other"))])
            let create = "mutation { createNote(input: {title: \"n\"}) { id } }"
            for _ in 0..<4 { _ = try await tester.data(create) }
            let limited = try await tester.post(create)
            #expect(limited.status == 429)
            #expect(limited.json["errors"]?.arrayValue?.first?["extensions"]?["code"] == "RATE_LIMITED")
            #expect(limited.header("Retry-After").flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(limited.json["data"] == nil)

            #expect(try await server.feedHead() == 4, "the limited create wrote nothing")
            // Another user has a budget of their own.
            _ = try await other.data("{ listNotes { items { id } } }")
        }
    }

    /// A throttled caller is answered on its request's head: the server neither waits for nor
    /// keeps the body (here announced as 1 MiB, of which a few bytes are sent). The caller of
    /// `/graphql` and of a socket's operations is the same: one budget per user.
    @Test func limitedCallersAreAnsweredBeforeTheirBodyArrives() async throws {
        // Signing the tester in takes the address's two /auth tokens; the query its one /graphql token.
        try await withServer(extraArguments: ["--auth-rate-limit", "2/h", "--graphql-rate-limit", "1/h"]) { server, tester in
            _ = try await tester.data("{ listNotes { items { id } } }")
            let token = try #require(server.defaultToken)
            for (path, authorization, problem) in [("/auth/login", "", true), ("/graphql", "Authorization: Bearer \(token)\r\n", false)] {
                let connection = try await RawHTTPConnection.connect(
                    server,
                    sending: "POST \(path) HTTP/1.1\r\nHost: x\r\n\(authorization)Content-Type: application/json\r\n"
                        + "Content-Length: \(1 << 20)\r\n\r\n{\"que")
                let responses = try await connection.receiveResponses(1, timeout: .seconds(10))
                let response = try #require(responses.first, "\(path): no answer before the body")
                #expect(response.hasPrefix("HTTP/1.1 429"), "\(path): \(response)")
                #expect(response.lowercased().contains("\r\nretry-after: "), "\(path)")
                if problem {
                    #expect(response.lowercased().contains("content-type: application/problem+json"), "\(response)")
                } else {
                    #expect(response.contains("RATE_LIMITED"), "\(response)")
                }
                await connection.close()
            }
            // The same user over a WebSocket: the same budget.
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(tester.credentials)
            try await socket.subscribe("q", "{ listNotes { items { id } } }")
            let refused = try await socket.next()
            #expect(refused["type"] == "error" && refused.firstError?["extensions"]?["code"] == "RATE_LIMITED", "\(refused.jsonString)")
            await socket.close()
        }
    }

    @Test func forwardedForIsIgnoredUnlessTrusted() async throws {
        for trusted in [false, true] {
            let arguments = ["--auth-rate-limit", "2/h"] + (trusted ? ["--trust-proxy"] : [])
            try await withServer(extraArguments: arguments, signIn: false) { server, _ in
                let http = HTTPClient()
                let login = server.baseURL.appendingPathComponent("auth/login")
                var statuses: [Int] = []
                for i in 0..<4 {
                    // Each request claims another client address.
                    let reply = try await http.postJSON(
                        login, ["username": "nobody", "password": "wrong password!"], headers: ["X-Forwarded-For": "10.0.0.\(i)"])
                    statuses.append(reply.status)
                }
                if trusted {
                    #expect(statuses == [401, 401, 401, 401], "behind a trusted proxy each address has its own budget")
                } else {
                    #expect(statuses == [401, 401, 429, 429], "a client cannot pick its own rate-limit key")
                }
            }
        }
    }
}
