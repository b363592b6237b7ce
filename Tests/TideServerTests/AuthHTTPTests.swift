import Foundation
import Testing
import TideCrypto
import TideIdentity
import TideModel
import TideTestSupport

/// The identity HTTP contract (ARCHITECTURE §6) and the admin CLI, through a real server.
@Suite struct AuthHTTPTests {
    @Test func signUpAndLogInWithClearErrors() async throws {
        try await withServer { server, client in
            let auth = AuthClient(server: server, http: client.http)
            let created = try await auth.post("signup", ["username": "alice", "password": "correct horse", "email": "alice@example.com"])
            #expect(created.status == 201)
            #expect(created.json["userId"]?.stringValue?.isEmpty == false)
            #expect(created.header("Cache-Control") == "no-store")

            let duplicate = try await auth.post("signup", ["username": "ALICE", "password": "another horse"])
            #expect(duplicate.status == 409)
            #expect(duplicate.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect(try await auth.post("signup", ["username": "bob", "password": "short"]).status == 400)
            #expect(try await auth.post("signup", ["username": "bob"]).status == 400)
            #expect(try await auth.post("signup", ["username": "bob", "password": 12_345_678]).status == 400)
            #expect(try await auth.send("signup", body: Data("{\"username\": ".utf8)).status == 400)
            #expect(try await auth.send("signup", body: Data("[]".utf8)).status == 400)
            #expect(try await auth.send("signup", body: Data("{}".utf8), contentType: "text/plain").status == 415)
            let huge = Data(JSONValue.object(["username": "bob", "password": .string(String(repeating: "x", count: 20_000))]).jsonBytes)
            #expect(try await auth.send("signup", body: huge).status == 413)

            let login = try await auth.post("login", ["username": "alice", "password": "correct horse"])
            #expect(login.status == 200)
            #expect(login.header("Cache-Control") == "no-store")
            #expect(login.json["accessToken"]?.stringValue?.split(separator: ".").count == 3)
            #expect(login.json["refreshToken"]?.stringValue?.isEmpty == false)
            #expect(login.json["expiresIn"] == 900)

            let wrongPassword = try await auth.post("login", ["username": "alice", "password": "wrong horse"])
            let unknownUser = try await auth.post("login", ["username": "nobody", "password": "correct horse"])
            #expect(wrongPassword.status == 401)
            #expect(unknownUser.status == 401)
            #expect(wrongPassword.body == unknownUser.body, "the answer must not tell which usernames exist")
        }
    }

    @Test func refreshRotatesAndReuseRevokesTheFamily() async throws {
        try await withServer { server, client in
            let auth = AuthClient(server: server, http: client.http)
            _ = try await auth.post("signup", ["username": "carol", "password": "correct horse"])
            let first = try await auth.logIn("carol", "correct horse")
            let second = try await auth.post("refresh", ["refreshToken": first["refreshToken"]!])
            #expect(second.status == 200)
            let secondToken = try #require(second.json["refreshToken"])
            #expect(secondToken != first["refreshToken"])

            let reuse = try await auth.post("refresh", ["refreshToken": first["refreshToken"]!])
            #expect(reuse.status == 401)
            #expect(try await auth.post("refresh", ["refreshToken": secondToken]).status == 401, "the whole family is revoked")

            let session = try await auth.logIn("carol", "correct horse")
            let logout = try await auth.post("logout", ["refreshToken": session["refreshToken"]!])
            #expect(logout.status == 204)
            #expect(try await auth.post("refresh", ["refreshToken": session["refreshToken"]!]).status == 401)
            #expect(try await auth.post("logout", ["refreshToken": "never-issued"]).status == 401)
        }
    }

    @Test func theJWKSVerifiesAccessTokens() async throws {
        try await withServer { server, client in
            let auth = AuthClient(server: server, http: client.http)
            _ = try await auth.post("signup", ["username": "dave", "password": "correct horse"])
            let token = try #require(try await auth.logIn("dave", "correct horse")["accessToken"]?.stringValue)
            let claims = try await auth.verifyWithJWKS(token)
            #expect(claims.username == "dave")
            #expect(claims.iss == "tidewater")
            #expect(claims.exp - claims.iat == 900)
        }
    }

    @Test func keysRotatedByTheCLIWhileServing() async throws {
        try await withServer { server, client in
            let auth = AuthClient(server: server, http: client.http)
            _ = try await auth.post("signup", ["username": "erin", "password": "correct horse"])
            let before = try #require(try await auth.logIn("erin", "correct horse")["accessToken"]?.stringValue)
            let oldKid = try #require(kid(of: before))

            let rotated = try await runTidewater(["keys", "rotate", "--data", server.dataDirectory.path])
            #expect(rotated.status == 0, "\(rotated.stderr)")
            let newKid = rotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!newKid.isEmpty && newKid != oldKid)

            // The server rereads keys at most once a second: poll, bounded.
            let deadline = ContinuousClock.now + .seconds(10)
            var after = before
            while kid(of: after) != newKid, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                after = try #require(try await auth.logIn("erin", "correct horse")["accessToken"]?.stringValue)
            }
            #expect(kid(of: after) == newKid)
            let kids = try await auth.jwks()["keys"]?.arrayValue?.compactMap { $0["kid"]?.stringValue }
            #expect(kids == [newKid, oldKid])
            #expect(try await auth.verifyWithJWKS(before).username == "erin")
            let identity = try IdentityService(dataDirectory: server.dataDirectory.path)
            defer { identity.close() }
            #expect(try identity.authenticate(bearer: before).user?.username == "erin")
        }
    }

    @Test func usersAndAPIKeysManagedByTheCLIWhileServing() async throws {
        try await withServer { server, client in
            let auth = AuthClient(server: server, http: client.http)
            let data = server.dataDirectory.path
            let added = try await runTidewater(
                ["users", "add", "frank", "--group", "editors", "--password-stdin", "--data", data], input: "correct horse\n")
            #expect(added.status == 0, "\(added.stderr)")
            let login = try await auth.logIn("frank", "correct horse")
            let token = try #require(login["accessToken"]?.stringValue)
            #expect(try await auth.verifyWithJWKS(token).groups == ["editors"])

            let listed = try await runTidewater(["users", "list", "--data", data])
            #expect(listed.stdout.contains("frank\teditors"))
            #expect(!listed.stdout.contains("argon2"))
            let refused = try await runTidewater(["users", "add", "frank", "--password-stdin", "--data", data], input: "another horse\n")
            #expect(refused.status == 1)
            #expect(refused.stderr == "tidewater: the username is taken\n")

            let created = try await runTidewater(["apikeys", "create", "--name", "web", "--expires-in", "30d", "--data", data])
            #expect(created.status == 0, "\(created.stderr)")
            let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let id = try #require(key.split(separator: "_").dropFirst().first.map(String.init))
            let before = try IdentityService(dataDirectory: data)
            #expect(try before.authenticate(apiKey: key) == .apiKey(id: id))
            before.close()

            let revoked = try await runTidewater(["apikeys", "revoke", id, "--data", data])
            #expect(revoked.status == 0, "\(revoked.stderr)")
            let keys = try await runTidewater(["apikeys", "list", "--data", data])
            #expect(keys.stdout.contains(id))
            #expect(!keys.stdout.contains(key))
            let after = try IdentityService(dataDirectory: data)
            defer { after.close() }
            #expect(throws: IdentityError.self) { try after.authenticate(apiKey: key) }
        }
    }
}

/// `/auth/*` and the JWKS of one server.
private struct AuthClient {
    let server: ServerProcess
    let http: HTTPClient

    func send(_ route: String, body: Data, contentType: String = "application/json") async throws -> HTTPClient.Reply {
        try await http.send(
            "POST", server.baseURL.appendingPathComponent("auth").appendingPathComponent(route), headers: ["Content-Type": contentType],
            body: body)
    }

    func post(_ route: String, _ body: JSONValue) async throws -> HTTPClient.Reply {
        try await send(route, body: Data(body.jsonBytes))
    }

    /// The login answer's JSON, failing the test unless it is 200.
    func logIn(_ username: String, _ password: String) async throws -> JSONValue {
        let reply = try await post("login", ["username": .string(username), "password": .string(password)])
        guard reply.status == 200 else { throw TestFailure("login failed with \(reply.status): \(reply.text)") }
        return reply.json
    }

    func jwks() async throws -> JSONValue {
        let reply = try await http.send("GET", server.baseURL.appendingPathComponent(".well-known").appendingPathComponent("jwks.json"))
        guard reply.status == 200 else { throw TestFailure("JWKS answered \(reply.status)") }
        return reply.json
    }

    /// Verifies the token the way an outside service would: with the published JWKS.
    func verifyWithJWKS(_ token: String) async throws -> AccessTokenClaims {
        let keys = try (try await jwks())["keys"]?.arrayValue?.map { try PublicKey(jwk: $0) } ?? []
        return try AccessTokenVerifier(keys: keys, issuer: "tidewater").verify(token, now: Date())
    }
}

/// The `kid` in an access token's header.
private func kid(of token: String) -> String? {
    guard let header = token.split(separator: ".").first, let bytes = Base64URL.decode(String(header)) else { return nil }
    return (try? JSONParser.parse(bytes))?["kid"]?.stringValue
}
