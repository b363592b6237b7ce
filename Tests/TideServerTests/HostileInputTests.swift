import Foundation
import Testing
import TideModel
import TideTestSupport

/// Requests built to exhaust the server, each small and anonymous: documents nested thousands
/// deep (the parser and the validation rules recurse per level), literals that GraphQLSwift's
/// printer quotes at a cost doubling per level, fragments that expand without end, filters
/// SQLite cannot parse. Each gets an error with `extensions.code`, and the server keeps
/// answering: a crash fails the next request, a stuck event loop the requests after it.
@Suite struct HostileInputTests {
    /// `open` repeated `depth` times around `inner`, then `close` as often.
    static func nested(_ depth: Int, _ open: String, _ inner: String, _ close: String) -> String {
        String(repeating: open, count: depth) + inner + String(repeating: close, count: depth)
    }

    /// A string literal whose one-line form is past GraphQLSwift's printer's 80 columns.
    static let longString = "\"" + String(repeating: "x", count: 100) + "\""

    /// The first error of a reply (a request error, or a field error whose field is null).
    static func firstError(_ reply: HTTPClient.Reply) throws -> (code: String, message: String) {
        guard let error = reply.json["errors"]?.arrayValue?.first, let code = error["extensions"]?["code"]?.stringValue,
            let message = error["message"]?.stringValue
        else { throw TestFailure("no error with a code in \(reply.status) \(reply.text.prefix(500))") }
        #expect(reply.json["data"]?.objectValue?.values.allSatisfy(\.isNull) ?? true, "\(reply.text.prefix(500))")
        // Messages quote previews of what the request sent, never all of it.
        #expect(message.utf8.count <= 1001, "a \(message.utf8.count)-byte message")
        return (code, message)
    }

    /// The server still answers: health checks on fresh connections (spread over the event
    /// loops, so a loop held by an earlier request shows) and a query.
    static func stillServing(_ server: ServerProcess, _ client: GraphQLClient) async throws {
        for _ in 0..<4 {
            let health = try await client.http.send("GET", server.baseURL.appendingPathComponent("healthz"), headers: ["Connection": "close"])
            #expect(health.status == 200)
        }
        _ = try await client.data("{ listNotes { items { id } } }")
    }

    @Test func documentsNestedThousandsDeepAreRefusedBeforeParsing() async throws {
        let filter = #"{title: {eq: "x"}}"#
        let documents: [(String, String, String)] = [
            ("selections", "{ " + Self.nested(3000, "a { ", "b", " }") + " }", "GRAPHQL_PARSE_FAILED"),
            ("inline fragments", "{ " + Self.nested(5000, "... on Query { ", "__typename", " }") + " }", "GRAPHQL_PARSE_FAILED"),
            ("and filters", "{ listNotes(filter: " + Self.nested(5000, "{and: [", filter, "]}") + ") { items { id } } }", "BAD_USER_INPUT"),
            ("not filters", "{ listNotes(filter: " + Self.nested(20000, "{not: ", filter, "}") + ") { items { id } } }", "BAD_USER_INPUT"),
            ("list types", "query Q($x: " + Self.nested(3000, "[", "ID", "]") + ") { __typename }", "BAD_USER_INPUT"),
        ]
        try await withServer { server, client in
            let anonymous = GraphQLClient(server, credentials: [:])
            for (name, document, code) in documents {
                let error = try Self.firstError(try await anonymous.post(document))
                #expect(error.code == code, "\(name): \(error.message)")
                #expect(error.message.contains("levels deep"), "\(name): \(error.message)")
            }
            // Brackets in comments, strings and block strings do not count.
            let brackets = String(repeating: "{[(", count: 2000)
            let commented = try await anonymous.post("{ __typename # \(brackets)\n}")
            #expect(commented.json["data"]?["__typename"] == "Query", "\(commented.text.prefix(300))")
            for name in ["\"\(brackets)\\\"\"", "\"\"\"\(brackets)\\\"\"\"\"\"\""] {
                let quoted = try await client.post("{ __type(name: \(name)) { name } }")
                #expect(quoted.json["data"]?["__type"] == .null, "\(quoted.text.prefix(300))")
            }
            try await Self.stillServing(server, client)
        }
    }

    /// GraphQLSwift's validation keeps per-operation caches in dictionaries whose keys are equal
    /// for identical operations but hash differently: three identical anonymous operations
    /// stopped the process.
    @Test func identicalOperationsAreRefusedBeforeValidation() async throws {
        try await withServer { server, client in
            let anonymous = GraphQLClient(server, credentials: [:])
            for document in [
                Array(repeating: "{ a: __typename }", count: 100).joined(separator: " "),
                Array(repeating: "query A { __typename }", count: 100).joined(separator: " "),
                "{ __typename } query A { __typename }",
            ] {
                let error = try Self.firstError(try await anonymous.post(document))
                #expect(error.code == "GRAPHQL_VALIDATION_FAILED", "\(error.message)")
                #expect(
                    error.message == "This anonymous operation must be the only defined operation."
                        || error.message == "There can be only one operation named \"A\".", "\(error.message)")
            }
            try await Self.stillServing(server, client)
        }
    }

    /// GraphQLSwift's validation costs time per token, per error (it locates each by scanning
    /// the whole text) and per unknown name (it measures the distance to every name meant):
    /// thousands of wrong literals on as many lines took over a minute.
    @Test func documentsCostingPerTokenErrorOrUnknownNameAreCutShort() async throws {
        try await withServer { server, client in
            let anonymous = GraphQLClient(server, credentials: [:])
            let tooLong = try Self.firstError(try await anonymous.post("{ " + String(repeating: "__typename ", count: 5001) + "}"))
            #expect(tooLong.code == "GRAPHQL_PARSE_FAILED")
            #expect(tooLong.message == "Syntax Error: the document has more than 5000 tokens.")

            let wrongLiterals = "{ listNotes(filter: {priority: {in: [\n" + Array(repeating: "\"x\"", count: 2000).joined(separator: ",\n")
                + "]}}) { items { id } } }"
            let many = try await anonymous.post(wrongLiterals)
            let errors = many.json["errors"]?.arrayValue ?? []
            #expect(errors.count == 26, "\(many.text.prefix(300))")
            #expect(errors.first?["message"] == "Int cannot represent non-integer value: \"x\"")
            #expect(errors.last?["message"] == "Too many validation errors, error limit reached. Validation aborted.")

            let unknownFields = try Self.firstError(
                try await anonymous.post("{ " + (0..<1000).map { "f\($0)" }.joined(separator: " ") + " }"))
            #expect(unknownFields.code == "GRAPHQL_VALIDATION_FAILED")
            #expect(unknownFields.message.hasPrefix("More than 25 names in the document are not defined by the schema: \"f0\""))
            let longName = try Self.firstError(try await anonymous.post("{ " + String(repeating: "q", count: 30_000) + " }"))
            #expect(longName.message.hasSuffix("…\" is not a name the schema defines."), "\(longName.message)")
            let longEnum = try Self.firstError(
                try await anonymous.post("{ listPosts(filter: {status: {eq: \"" + String(repeating: "q", count: 30_000) + "\"}}) { items { id } } }"))
            #expect(longEnum.message.hasSuffix("is not a name the schema defines."), "\(longEnum.message)")
            // A few mistakes are still reported each, located, with suggestions.
            let few = try await anonymous.post("{ listNotez { items { id } } }")
            #expect(few.json["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("Did you mean \"listNotes\"") == true, "\(few.text)")
            #expect(few.json["errors"]?.arrayValue?.first?["locations"] == [["line": 1, "column": 3]])
            try await Self.stillServing(server, client)
        }
    }

    @Test func deepListAndObjectLiteralsAreRefusedBeforeValidation() async throws {
        try await withServer { server, client in
            let anonymous = GraphQLClient(server, credentials: [:])
            // About 230 bytes each; before the bound, validation printed them for minutes.
            let list = try Self.firstError(try await anonymous.post("{ getNote(id: " + Self.nested(100, "[", "1", "]") + ") { id } }"))
            #expect(list.code == "BAD_USER_INPUT")
            #expect(list.message == "Lists and input objects may nest at most 32 levels deep in a value.")
            let object = try Self.firstError(
                try await anonymous.post("{ getNote(id: " + Self.nested(40, "{a: ", "\"x\"", "}") + ") { id } }"))
            #expect(object.code == "BAD_USER_INPUT")
            // 32 levels are allowed, and refused for their type, briefly.
            let allowed = try Self.firstError(
                try await anonymous.post("{ getNote(id: " + Self.nested(32, "[", Self.longString, "]") + ") { id } }"))
            #expect(allowed.code == "GRAPHQL_VALIDATION_FAILED")
            #expect(allowed.message.hasPrefix("Expected value of type \"ID!\", found [[[[["))
            #expect(allowed.message.hasSuffix("….") || allowed.message.hasSuffix("…"), "\(allowed.message)")
            try await Self.stillServing(server, client)
        }
    }

    /// A list or object 30 levels deep around a long string, where the schema expects something
    /// else: GraphQLSwift's printer would take 2^30 steps to quote it. Each scalar, an enum and
    /// an input object; a custom scalar (GraphQLSwift takes any literal there) is refused by
    /// our coercion, with a preview.
    @Test(arguments: [
        ("ID", "{ getNote(id: VALUE) { id } }", "GRAPHQL_VALIDATION_FAILED"),
        ("String", "{ listNotes(filter: {title: {eq: VALUE}}) { items { id } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("Int", "{ listNotes(limit: VALUE) { items { id } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("Boolean", "{ listNotes(filter: {done: {eq: VALUE}}) { items { id } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("enum", "{ listPosts(filter: {status: {eq: VALUE}}) { items { id } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("input object", "{ listNotes(filter: VALUE) { items { id } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("custom scalar", #"mutation { createNote(input: {title: "t", dueAt: VALUE}) { id } }"#, "BAD_USER_INPUT"),
        ("directive argument", "{ __typename @include(if: VALUE) }", "GRAPHQL_VALIDATION_FAILED"),
        ("variable default", "query Q($id: ID = VALUE) { getNote(id: $id) { id } }", "GRAPHQL_VALIDATION_FAILED"),
    ])
    func wrongTypedLiteralsAreRefusedWithoutPrintingThem(position: String, document: String, code: String) async throws {
        try await withServer { server, client in
            for value in [Self.nested(30, "[", Self.longString, "]"), Self.nested(30, "{a: ", Self.longString, "}")] {
                let error = try Self.firstError(try await client.post(document.replacingOccurrences(of: "VALUE", with: value)))
                #expect(error.code == code, "\(position): \(error.message)")
            }
            try await Self.stillServing(server, client)
        }
    }

    @Test func deepOrWrongVariablesAreRefusedBriefly() async throws {
        try await withServer { server, client in
            func deepList(_ depth: Int) -> JSONValue {
                (0..<depth).reduce(JSONValue.string(String(repeating: "x", count: 100_000))) { inner, _ in .array([inner]) }
            }
            let wrongType = try Self.firstError(try await client.post("query Q($id: ID!) { getNote(id: $id) { id } }", variables: ["id": deepList(30)]))
            #expect(wrongType.code == "BAD_USER_INPUT")
            #expect(wrongType.message.hasPrefix("Variable \"$id\" got invalid value [[[[["))

            let filter = "query Q($f: ModelNoteFilterInput) { listNotes(filter: $f) { items { id } } }"
            let deepFilter = (0..<100).reduce((["title": ["eq": "x"]] as JSONValue)) { inner, _ in ["not": inner] }
            let tooDeep = try Self.firstError(try await client.post(filter, variables: ["f": deepFilter]))
            #expect(tooDeep.code == "BAD_USER_INPUT")
            #expect(tooDeep.message.contains("may nest at most 32 levels deep"), "\(tooDeep.message)")

            // Past the JSON parser's own bound the body is not a GraphQL request at all.
            let body = Data(("{\"query\":\"{ __typename }\",\"variables\":{\"x\":" + Self.nested(200, "[", "1", "]") + "}}").utf8)
            let unparsable = try await client.http.send(
                "POST", server.graphQLURL, headers: ["Content-Type": "application/json"], body: body)
            #expect(unparsable.status == 400)
            #expect(try Self.firstError(unparsable).code == "BAD_REQUEST")

            // A long unknown key is quoted as a preview.
            let longKey = try Self.firstError(
                try await client.post(filter, variables: ["f": .object([String(repeating: "k", count: 100_000): ["eq": "x"]])]))
            #expect(longKey.code == "BAD_USER_INPUT")
            try await Self.stillServing(server, client)
        }
    }

    @Test func filtersSQLiteCannotParseAreBadUserInput() async throws {
        try await withServer { server, client in
            let list = "query Q($f: ModelNoteFilterInput) { listNotes(filter: $f) { items { id } } }"
            _ = try await client.data(#"mutation { createNote(input: {title: "kept"}) { id } }"#)
            func nots(_ depth: Int) -> JSONValue {
                (0..<depth).reduce((["title": ["ne": "gone"]] as JSONValue)) { inner, _ in ["not": ["not": inner]] }
            }
            // The deepest filters allowed, in the shapes that cost SQLite's parser most: they run.
            let allowed: [JSONValue] = [
                nots(10),
                (0..<14).reduce((["title": ["ne": "gone"]] as JSONValue)) { inner, level in
                    [level.isMultiple(of: 2) ? "and" : "or": [inner, ["priority": ["notIn": [1, 2]]]]]
                },
                (0..<10).reduce((["title": ["ne": "gone"]] as JSONValue)) { inner, _ in ["and": [["not": inner], ["done": ["ne": true]]]] },
            ]
            for filter in allowed {
                let data = try await client.data(list, variables: ["f": filter])
                #expect(data["listNotes"]?["items"]?.arrayValue?.count == 1, "\(filter.jsonString)")
            }
            // One `not` too many, as a variable and as a literal; 45 was SQLite's "parser stack overflow".
            let tooMany = try Self.firstError(try await client.post(list, variables: ["f": ["not": nots(10)]]))
            #expect(tooMany.code == "BAD_USER_INPUT")
            #expect(tooMany.message.contains("may nest at most 20 levels deep"), "\(tooMany.message)")
            for depth in [21, 45] {
                let literal = "{ listNotes(filter: " + Self.nested(depth, "{not: ", #"{title: {eq: "x"}}"#, "}") + ") { items { id } } }"
                #expect(try Self.firstError(try await client.post(literal)).code == "BAD_USER_INPUT", "not × \(depth)")
            }
            // Too many terms for SQLite's expression tree (1000 deep): the client's request too.
            let wide = try Self.firstError(
                try await client.post(list, variables: ["f": ["priority": ["in": .array((0..<1500).map { .int(Int64($0)) })]]]))
            #expect(wide.code == "BAD_USER_INPUT", "\(wide.message)")
            try await Self.stillServing(server, client)
        }
    }

    @Test func fragmentsThatNestOrMultiplyWithoutEndAreRefused() async throws {
        try await withServer { server, client in
            let anonymous = GraphQLClient(server, credentials: [:])
            // A chain of spreads: GraphQLSwift's cycle check follows it recursively.
            let chain = "{ ...F0 } " + (0..<500).map { "fragment F\($0) on Query { ...F\($0 + 1) }" }.joined(separator: " ")
                + " fragment F500 on Query { __typename }"
            let deep = try Self.firstError(try await anonymous.post(chain))
            #expect(deep.code == "GRAPHQL_VALIDATION_FAILED")
            #expect(deep.message.contains("levels deep (counting fragments)"), "\(deep.message)")
            // The same chain, not used by the operation, is followed by validation as well.
            let unused = try Self.firstError(try await anonymous.post(chain.replacingOccurrences(of: "{ ...F0 } ", with: "{ __typename } ")))
            #expect(unused.code == "GRAPHQL_VALIDATION_FAILED")
            // Each fragment spreads the next twice: 2^40 fields once expanded.
            let bomb = "{ ...F0 } " + (0..<40).map { "fragment F\($0) on Query { ...F\($0 + 1) ...F\($0 + 1) }" }.joined(separator: " ")
                + " fragment F40 on Query { __typename }"
            let expanded = try Self.firstError(try await anonymous.post(bomb))
            #expect(expanded.code == "GRAPHQL_VALIDATION_FAILED")
            #expect(expanded.message.contains("more than 5000 fields"), "\(expanded.message)")
            // Field depth through fragments is the same limit as without them.
            let viaFragments = "{ ...A } fragment A on Query { __schema { ...B } } fragment B on __Schema { types { fields { type { "
                + Self.nested(12, "ofType { ", "name", " }") + " } } } }"
            #expect(try Self.firstError(try await anonymous.post(viaFragments)).message.contains("Query depth"))
            try await Self.stillServing(server, client)
        }
    }

    @Test func theSameOverTheWebSocket() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            let cases: [(String, String)] = [
                ("subscription { onCreateNote(filter: " + Self.nested(5000, "{not: ", #"{title: {eq: "x"}}"#, "}") + ") { id } }", "BAD_USER_INPUT"),
                ("subscription { " + Self.nested(3000, "onCreateNote { ", "id", " }") + " }", "GRAPHQL_PARSE_FAILED"),
                ("subscription { onCreateNote(filter: {title: {eq: " + Self.nested(30, "[", Self.longString, "]") + "}}) { id } }", "GRAPHQL_VALIDATION_FAILED"),
                ("subscription { onCreateNote(filter: " + Self.nested(21, "{not: ", #"{title: {eq: "x"}}"#, "}") + ") { id } }", "BAD_USER_INPUT"),
            ]
            for (i, (document, code)) in cases.enumerated() {
                try await socket.subscribe("\(i)", document)
                let error = try await socket.next()
                #expect(error["type"] == "error", "\(i)")
                #expect(error.firstError?["extensions"]?["code"] == .string(code), "\(i): \(error.jsonString.prefix(300))")
            }
            // The socket and the server carry on.
            try await socket.subscribe("live", "subscription { onCreateNote { title } }")
            _ = try await client.data(#"mutation { createNote(input: {title: "after"}) { id } }"#)
            #expect(try await socket.nextEvent("live")["data"]?["onCreateNote"]?["title"] == "after")
            await socket.close()
            try await Self.stillServing(server, client)
        }
    }
}
