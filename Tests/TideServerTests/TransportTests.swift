import Foundation
import Testing
import TideModel
import TideTestSupport

/// GraphQL-over-HTTP behaviour, limits and error codes through a real server.
@Suite struct TransportTests {
    @Test func healthAndMetrics() async throws {
        try await withServer { server, client in
            let health = try await client.http.send("GET", server.baseURL.appendingPathComponent("healthz"))
            #expect(health.status == 200)
            #expect(health.json["status"] == "ok")
            _ = try await client.data("mutation { createNote(input: {title: \"m\"}) { id } }")
            _ = try await client.data("{ listNotes { items { id } } }")
            let metrics = try await client.http.send("GET", server.baseURL.appendingPathComponent("metrics"))
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains(#"tidewater_graphql_requests_total{operation="createNote",outcome="ok"} 1"#))
            #expect(metrics.text.contains("tidewater_graphql_request_duration_seconds_bucket"))
            // Maintenance writes commit too, so read the figures rather than expecting exact ones.
            func value(_ name: String) -> Double? {
                metrics.text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
            }
            #expect((value("tidewater_store_writes_committed_total") ?? 0) >= 1)
            #expect((value("tidewater_store_commit_batch_size_count") ?? 0) >= 1)
            #expect(value("tidewater_store_commit_batch_size_sum") != nil)
            #expect(metrics.text.contains("tidewater_feed_head_seq 1"))
        }
    }

    @Test func schemaRouteServesTheAnnotatedSDL() async throws {
        try await withServer(signIn: false) { server, client in
            let reply = try await client.http.send("GET", server.baseURL.appendingPathComponent("schema"))
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "application/graphql; charset=utf-8")
            let file = try String(contentsOf: ServerProcess.packageRoot.appendingPathComponent("Schema/example.graphql"), encoding: .utf8)
            #expect(reply.text == file, "the directives a client mirrors (@conflict, @set, @encrypted, @index, @auth) are in it")
        }
    }

    @Test func getRunsQueriesButNotMutations() async throws {
        try await withServer { server, client in
            _ = try await client.data("mutation { createNote(input: {id: \"g1\", title: \"via get\"}) { id } }")
            var components = URLComponents(url: server.graphQLURL, resolvingAgainstBaseURL: false)!
            components.queryItems = [
                URLQueryItem(name: "query", value: "query G($id: ID!) { getNote(id: $id) { title } }"),
                URLQueryItem(name: "variables", value: #"{"id":"g1"}"#),
            ]
            let reply = try await client.http.send("GET", components.url!, headers: client.credentials)
            #expect(reply.status == 200)
            #expect(reply.json["data"]?["getNote"]?["title"] == "via get")

            components.queryItems = [URLQueryItem(name: "query", value: "mutation { createNote(input: {title: \"x\"}) { id } }")]
            let mutation = try await client.http.send("GET", components.url!, headers: client.credentials)
            #expect(mutation.status == 405)
            #expect(mutation.header("Allow") == "POST")
            let listed = try await client.data("{ listNotes { items { id } } }")
            #expect(listed["listNotes"]?["items"]?.arrayValue?.count == 1, "the GET mutation wrote nothing")
        }
    }

    /// A query string written as browsers' URLSearchParams, Python's requests/httpx `params=`
    /// and `curl -G --data-urlencode` write it (application/x-www-form-urlencoded): a space is
    /// `+`, a `+` is `%2B`, everything but `*-._` and alphanumerics is percent-encoded.
    @Test func getAcceptsFormEncodedQueryStrings() async throws {
        func formEncoded(_ parameters: [(String, String)]) -> String {
            let kept = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._".utf8))
            func encode(_ text: String) -> String {
                text.utf8.map { byte in
                    if kept.contains(byte) { return String(UnicodeScalar(byte)) }
                    return byte == UInt8(ascii: " ") ? "+" : String(format: "%%%02X", byte)
                }.joined()
            }
            return parameters.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
        }
        try await withServer { server, client in
            let title = "1 + 1 = 2 & 100% sure?"
            _ = try await client.data("mutation C($t: String!) { createNote(input: {id: \"f1\", title: $t}) { id } }", variables: ["t": .string(title)])
            let document = """
                query A { listNotes { items { id } } }
                query B($t: String) { listNotes(filter: {title: {eq: $t}}) { items { id title } } }
                """
            let query = formEncoded([("query", document), ("variables", #"{"t": "\#(title)"}"#), ("operationName", "B")])
            #expect(query.contains("query+A+%7B+listNotes") && query.contains("%2B"), "\(query)")
            let reply = try await client.http.send("GET", URL(string: server.graphQLURL.absoluteString + "?" + query)!, headers: client.credentials)
            #expect(reply.status == 200)
            #expect(reply.json["data"]?["listNotes"]?["items"] == [["id": "f1", "title": .string(title)]], "\(reply.text)")

            // Percent-encoded spaces still work, and a `%` without two hex digits is left as it is
            // (sent raw: Foundation's URL would re-encode the whole query string around it).
            let raw = try await RawHTTPConnection.connect(server)
            try await raw.send("GET /graphql?query=%7B%20__typename%20%7D&x=100%&y HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let responses = try await raw.receiveResponses(1)
            #expect(responses.first?.contains(#"{"data":{"__typename":"Query"}}"#) == true, "\(responses)")
            await raw.close()
        }
    }

    @Test func malformedRequestsGetClearErrors() async throws {
        try await withServer { server, client in
            let http = client.http
            let badJSON = try await http.send("POST", server.graphQLURL, headers: ["Content-Type": "application/json"], body: Data("{\"query\": ".utf8))
            #expect(badJSON.status == 400)
            #expect(badJSON.json["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("not valid JSON") == true)

            let noQuery = try await http.send("POST", server.graphQLURL, headers: ["Content-Type": "application/json"], body: Data("{\"variables\":{}}".utf8))
            #expect(noQuery.status == 400)

            let wrongType = try await http.send("POST", server.graphQLURL, headers: ["Content-Type": "text/plain"], body: Data("{ listNotes { items { id } } }".utf8))
            #expect(wrongType.status == 415)
            #expect(wrongType.header("Content-Type")?.hasPrefix("application/problem+json") == true)

            let big = Data(("{\"query\":\"" + String(repeating: " ", count: 1_100_000) + "{ listNotes { items { id } } }\"}").utf8)
            let tooLarge = try await http.send("POST", server.graphQLURL, headers: ["Content-Type": "application/json"], body: big)
            #expect(tooLarge.status == 413)
            #expect(tooLarge.json["status"] == 413)

            let unknownRoute = try await http.send("GET", server.baseURL.appendingPathComponent("nope"))
            #expect(unknownRoute.status == 404)
            #expect(unknownRoute.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        }
    }

    @Test func requestErrorsAndMediaTypes() async throws {
        try await withServer { _, client in
            let syntax = try await client.post("{ listNotes { items { id } ")
            #expect(syntax.status == 200)
            #expect(syntax.json["errors"]?.arrayValue?.first?["extensions"]?["code"] == "GRAPHQL_PARSE_FAILED")
            #expect(syntax.json["data"] == nil)

            let modern = try await client.post("{ listNotes { items { nope } } }", accept: "application/graphql-response+json")
            #expect(modern.status == 400)
            #expect(modern.header("Content-Type")?.hasPrefix("application/graphql-response+json") == true)
            let message = modern.json["errors"]?.arrayValue?.first?["message"]?.stringValue ?? ""
            #expect(message.contains("Cannot query field \"nope\" on type \"Note\""))
            #expect(modern.json["errors"]?.arrayValue?.first?["locations"] == [["line": 1, "column": 23]])

            let unknownOperation = try await client.post("query A { listNotes { items { id } } }", operationName: "B")
            #expect(unknownOperation.json["errors"]?.arrayValue?.first?["message"] == "Unknown operation named \"B\".")

            let wrongVariable = try await client.post(
                "query G($limit: Int) { listNotes(limit: $limit) { items { id } } }", variables: ["limit": "ten"])
            #expect(wrongVariable.json["errors"]?.arrayValue?.first?["extensions"]?["code"] == "BAD_USER_INPUT")
            #expect(wrongVariable.json["errors"]?.arrayValue?.first?["message"]?.stringValue?.hasPrefix("Variable \"$limit\" got invalid value \"ten\"") == true)

            let missingVariable = try await client.post("query G($id: ID!) { getNote(id: $id) { id } }")
            #expect(missingVariable.json["errors"]?.arrayValue?.first?["message"] == "Variable \"$id\" of required type \"ID!\" was not provided.")

            let tooMany = try await client.errorCode("{ listNotes(limit: 1001) { items { id } } }")
            #expect(tooMany == "BAD_USER_INPUT")
        }
    }

    @Test(arguments: [
        ("dueAt", JSONValue.string("tomorrow")),
        ("dueAt", JSONValue.string("2026-13-01T00:00:00Z")),
        ("expiresAt", JSONValue.string("1700000000")),
    ])
    func customScalarsInTheWrongFormatAreRejected(field: String, value: JSONValue) async throws {
        try await withServer { _, client in
            let reply = try await client.post(
                "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id } }",
                variables: ["input": ["title": "t", .init(stringLiteral: field): value]])
            #expect(reply.json["errors"]?.arrayValue?.first?["extensions"]?["code"] == "BAD_USER_INPUT")
            #expect(reply.json["data"] == nil)
            // Literals are checked too, not only variables.
            let literal = try await client.post("mutation { createNote(input: {title: \"t\", \(field): \(value.jsonString)}) { id } }")
            #expect(literal.json["errors"]?.arrayValue?.first?["extensions"]?["code"] != nil)
            let listed = try await client.data("{ listNotes { items { id } } }")
            #expect(listed["listNotes"]?["items"] == [], "nothing was written")
        }
    }

    @Test func depthAndAliasLimits() async throws {
        try await withServer { _, client in
            let aliases = (0..<101).map { "a\($0): __typename" }.joined(separator: " ")
            let tooManyAliases = try await client.post("{ \(aliases) }")
            #expect(tooManyAliases.json["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("aliases") == true)
            let nested = Array(repeating: "ofType {", count: 12).joined(separator: " ")
            let deep = "{ __schema { types { fields { type { \(nested) name" + String(repeating: " }", count: 12 + 4) + " }"
            let tooDeep = try await client.post(deep)
            #expect(tooDeep.json["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("depth") == true)
        }
    }

    @Test func standardIntrospectionQueryPasses() async throws {
        try await withServer { _, client in
            let reply = try await client.post(Self.introspectionQuery, operationName: "IntrospectionQuery")
            #expect(reply.status == 200)
            #expect(reply.json["errors"] == nil)
            let types = reply.json["data"]?["__schema"]?["types"]?.arrayValue ?? []
            let names = Set(types.compactMap { $0["name"]?.stringValue })
            #expect(names.isSuperset(of: ["Note", "ModelNoteConnection", "CreateNoteInput", "ModelNoteFilterInput", "AWSDateTime", "Query", "Mutation"]))
            #expect(reply.json["data"]?["__schema"]?["queryType"]?["name"] == "Query")
        }
    }

    /// The introspection query graphql-js's `getIntrospectionQuery()` produces (descriptions on).
    static let introspectionQuery = """
        query IntrospectionQuery {
          __schema {
            queryType { name }
            mutationType { name }
            subscriptionType { name }
            types { ...FullType }
            directives { name description locations args { ...InputValue } }
          }
        }
        fragment FullType on __Type {
          kind name description
          fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
          inputFields { ...InputValue }
          interfaces { ...TypeRef }
          enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
          possibleTypes { ...TypeRef }
        }
        fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
        fragment TypeRef on __Type {
          kind name
          ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
        }
        """
}

/// HTTP/1.1 connection handling, seen on a raw socket.
@Suite struct HTTPConnectionTests {
    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer(signIn: false) { server, _ in
            let connection = try await RawHTTPConnection.connect(server)
            let query = #"{"query":"{ __typename }"}"#
            let post = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(query.utf8.count)\r\n\r\n\(query)"
            // Three requests in one write: the answers come back one per request, in order.
            try await connection.send(post + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            let responses = try await connection.receiveResponses(3)
            #expect(responses.count == 3)
            #expect(responses.first?.hasPrefix("HTTP/1.1 200") == true)
            #expect(responses.first?.hasSuffix(#"{"data":{"__typename":"Query"}}"#) == true)
            #expect(responses.dropFirst().first?.hasSuffix(#"{"status":"ok"}"#) == true)
            #expect(responses.last?.hasPrefix("HTTP/1.1 404") == true)
            #expect(responses.allSatisfy { $0.lowercased().contains("\r\ndate: ") })
            await connection.close()
        }
    }

    @Test func expectContinueGetsAnInterimResponse() async throws {
        try await withServer(signIn: false) { server, _ in
            let connection = try await RawHTTPConnection.connect(server)
            let query = #"{"query":"{ __typename }"}"#
            try await connection.send(
                "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(query.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            // The interim response has no body: it parses as a response of length 0.
            let interim = try await connection.receiveResponses(1)
            #expect(interim.first?.hasPrefix("HTTP/1.1 100 Continue") == true)
            try await connection.send(query)
            let responses = try await connection.receiveResponses(2)
            #expect(responses.last?.hasPrefix("HTTP/1.1 200") == true)
            #expect(responses.last?.hasSuffix(#"{"data":{"__typename":"Query"}}"#) == true)
            await connection.close()
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer(signIn: false) { server, _ in
            for path in ["/healthz", "/metrics"] {  // a direct endpoint, and a route of the router
                let connection = try await RawHTTPConnection.connect(server)
                try await connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                let (text, closed) = try await connection.receiveUntilClosed()
                #expect(text.hasPrefix("HTTP/1.1 200"), "\(path)")
                #expect(text.lowercased().contains("\r\nconnection: close\r\n"), "\(path)")
                #expect(closed, "\(path): the server closed the connection")
            }
        }
    }

    @Test func unparsableRequestsGet400AndTheConnectionCloses() async throws {
        try await withServer(signIn: false) { server, _ in
            let connection = try await RawHTTPConnection.connect(server)
            try await connection.send("THIS IS NOT HTTP\r\n\r\n")
            let (text, closed) = try await connection.receiveUntilClosed()
            #expect(text.hasPrefix("HTTP/1.1 400"))
            #expect(closed)
            // The server is fine afterwards.
            let health = try await HTTPClient().send("GET", server.baseURL.appendingPathComponent("healthz"))
            #expect(health.status == 200)
        }
    }

    @Test func aRefusedBodyIsAnsweredThenTheConnectionCloses() async throws {
        try await withServer(signIn: false) { server, _ in
            let connection = try await RawHTTPConnection.connect(server)
            // Declared too large: answered at once; the server reads the body it is sent, then closes.
            try await connection.send("POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n")
            let refusal = try await connection.receiveResponses(1)
            #expect(refusal.first?.hasPrefix("HTTP/1.1 413") == true)
            #expect(refusal.first?.contains(#""status":413"#) == true)
            try await connection.send(String(repeating: " ", count: 2_000_000))
            let (_, closed) = try await connection.receiveUntilClosed()
            #expect(closed)
        }
    }

    /// With a three-second idle timeout: connections that send nothing, stop part-way through a
    /// request head or body, or stay idle after an answer are closed; a WebSocket is not.
    @Test func idleHTTPConnectionsAreClosed() async throws {
        // A long init timeout: the WebSocket's connection_init must not race a busy test machine.
        try await withServer(extraArguments: ["--http-idle-timeout", "3", "--ws-init-timeout", "60"], signIn: false) { server, _ in
            let body = #"{"query":"{ __typename }"}"#
            let cases = [
                ("nothing sent", ""),
                ("part of a head", "GET /healthz HTTP/1.1\r\nHo"),
                ("part of a body", "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"),
                ("idle after an answer", "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"),
            ]
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, text) in cases {
                    group.addTask {
                        // Before connecting: the server's idle time starts at its accept or last read.
                        let start = ContinuousClock.now
                        let connection = try await RawHTTPConnection.connect(server, sending: text)
                        let (received, closed) = try await connection.receiveUntilClosed(timeout: .seconds(15))
                        #expect(closed, "\(name): closed by the server")
                        #expect(ContinuousClock.now - start >= .milliseconds(2900), "\(name): not before the timeout")
                        if name == "idle after an answer" {
                            #expect(received.hasPrefix("HTTP/1.1 200"), "the request was answered before the connection idled")
                        } else {
                            #expect(received.isEmpty, "\(name): closed without an answer, got \(received)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            // The WebSocket has been quiet for longer than the timeout and still answers.
            try await socket.send(["type": "ping"])
            #expect(try await socket.next(skipPings: false)["type"] == "pong")
            await socket.close()
        }
    }
}
