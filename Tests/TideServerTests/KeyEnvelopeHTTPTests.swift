import Foundation
import Testing
import TideCrypto
import TideIdentity
import TideModel
import TideTestSupport

/// `GET/PUT /auth/key-envelope` (ARCHITECTURE §9.3) through a real server.
@Suite struct KeyEnvelopeHTTPTests {
    struct Endpoint {
        let url: URL
        let http = HTTPClient()

        init(_ server: ServerProcess) { url = server.baseURL.appendingPathComponent("auth/key-envelope") }

        func get(_ headers: [String: String]) async throws -> HTTPClient.Reply {
            try await http.send("GET", url, headers: headers)
        }

        func put(_ headers: [String: String], _ body: JSONValue) async throws -> HTTPClient.Reply {
            try await http.send("PUT", url, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a },
                                body: Data(body.jsonBytes))
        }
    }

    static func bearer(_ token: String) -> [String: String] { ["Authorization": "Bearer \(token)"] }

    @Test func theEnvelopeIsStoredVersionedAndReturnedAsSent() async throws {
        try await withServer(environment: ["LOG_LEVEL": "debug"]) { server, _ in
            let endpoint = Endpoint(server)
            let me = Self.bearer(try #require(server.defaultToken))
            let missing = try await endpoint.get(me)
            #expect(missing.status == 404)
            #expect(missing.header("Content-Type")?.hasPrefix("application/problem+json") == true)

            let unlocked = try KeyEnvelope.create(passphrase: "my long passphrase", parameters: .forTesting)
            let first = try JSONParser.parse(unlocked.envelope.json)
            let created = try await endpoint.put(me, ["envelope": first])
            #expect(created.status == 200, "\(created.text)")
            #expect(created.json["version"] == 1)
            #expect(created.header("Cache-Control") == "no-store")

            let got = try await endpoint.get(me)
            #expect(got.status == 200)
            #expect(got.json["version"] == 1)
            let stored = try #require(got.json["envelope"])
            #expect(stored == first)
            // What comes back unlocks with the passphrase: the server kept the bytes that matter.
            _ = try KeyEnvelope(json: stored.jsonBytes).unlock(passphrase: "my long passphrase")

            // A second "first" envelope (another device racing keys init) is refused.
            #expect(try await endpoint.put(me, ["envelope": first, "expectedVersion": 0]).status == 409)
            #expect(try await endpoint.put(me, ["envelope": first]).status == 409)

            let rotated = try JSONParser.parse(try unlocked.rotating().envelope.json)
            let second = try await endpoint.put(me, ["envelope": rotated, "expectedVersion": 1])
            #expect(second.json["version"] == 2)
            let stale = try await endpoint.put(me, ["envelope": first, "expectedVersion": 1])
            #expect(stale.status == 409)
            #expect(stale.text.contains("2"), "the problem says which version is stored: \(stale.text)")
            #expect(try await endpoint.get(me).json["envelope"] == rotated, "a refused write changes nothing")

            // Each user has their own.
            let other = Self.bearer(try await HTTPClient().signIn(server.baseURL, username: "other"))
            #expect(try await endpoint.get(other).status == 404)

            // Neither the log (at debug level) nor /metrics carry any part of an envelope.
            let metrics = try await HTTPClient().send("GET", server.baseURL.appendingPathComponent("metrics")).text
            for part in [Base64URL.encode(unlocked.envelope.salt), Base64URL.encode(unlocked.envelope.keys[0].wrapped)] {
                #expect(!server.readStderr().contains(part) && !metrics.contains(part))
            }
        }
    }

    @Test func onlyASignedInUserWithAnEnvelopeOfAtMost4KiB() async throws {
        try await withServer { server, _ in
            let endpoint = Endpoint(server)
            let me = Self.bearer(try #require(server.defaultToken))
            let created = try await runTidewater(["apikeys", "create", "--name", "web", "--data", server.dataDirectory.path])
            #expect(created.status == 0, "\(created.stderr)")
            let apiKey = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            for headers in [[:], ["x-api-key": apiKey], ["Authorization": "Bearer not-a-token"], ["Authorization": "Basic dTpw"]] {
                #expect(try await endpoint.get(headers).status == 401, "\(headers.keys)")
                #expect(try await endpoint.put(headers, ["envelope": ["a": 1]]).status == 401, "\(headers.keys)")
            }
            let large: JSONValue = ["blob": .string(String(repeating: "x", count: 4097))]
            let tooLarge = try await endpoint.put(me, ["envelope": large])
            #expect(tooLarge.status == 413)
            #expect(tooLarge.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            let huge = try await endpoint.put(me, ["envelope": ["blob": .string(String(repeating: "x", count: 100_000))]])
            #expect(huge.status == 413)
            #expect(try await endpoint.put(me, [:]).status == 400)
            #expect(try await endpoint.put(me, ["envelope": ["a": 1], "expectedVersion": "1"]).status == 400)
            #expect(try await endpoint.put(me, ["envelope": ["a": 1], "expectedVersion": -1]).status == 400)
            #expect(try await endpoint.get(me).status == 404, "nothing was stored")
            let fits: JSONValue = ["blob": .string(String(repeating: "x", count: 4096 - 11))]
            #expect(fits.jsonBytes.count == 4096)
            #expect(try await endpoint.put(me, ["envelope": fits]).status == 200)
        }
    }

    @Test func theEnvelopeGoesWithItsUser() async throws {
        try await withServer { server, _ in
            let endpoint = Endpoint(server)
            let token = try await HTTPClient().signIn(server.baseURL, username: "leaving")
            #expect(try await endpoint.put(Self.bearer(token), ["envelope": ["secret": "wrapped"]]).status == 200)
            let identity = try IdentityService(dataDirectory: server.dataDirectory.path)
            defer { identity.close() }
            let userID = try #require(try identity.users().first { $0.username == "leaving" }?.id)
            #expect(try identity.keyEnvelope(userID: userID)?.version == 1)

            let removed = try await runTidewater(["users", "remove", "leaving", "--data", server.dataDirectory.path])
            #expect(removed.status == 0, "\(removed.stderr)")
            #expect(try identity.keyEnvelope(userID: userID) == nil)
            // Its access token still verifies until it expires (tokens are stateless), but there is nothing to read or write.
            #expect(try await endpoint.get(Self.bearer(token)).status == 404)
            #expect(try await endpoint.put(Self.bearer(token), ["envelope": ["secret": "again"]]).status == 401)
            #expect(try identity.keyEnvelope(userID: userID) == nil)
        }
    }

    @Test func theEnvelopeRoutesShareTheAuthRateLimit() async throws {
        try await withServer(extraArguments: ["--auth-rate-limit", "4/h"], signIn: false) { server, _ in
            // Sign-up and login take two of the address's four requests.
            let me = Self.bearer(try await HTTPClient().signIn(server.baseURL, username: "tester"))
            let endpoint = Endpoint(server)
            #expect(try await endpoint.get(me).status == 404)
            #expect(try await endpoint.put(me, ["envelope": ["a": 1]]).status == 200)
            let limited = try await endpoint.get(me)
            #expect(limited.status == 429)
            #expect(limited.header("Retry-After") != nil)
        }
    }
}
