import Foundation
import Testing
import TideModel
import TideSchema
import TideStore

@testable import TideGraphQL

/// The engine in process, without a server: the compiler's refusals, input coercion, the
/// response writer's output, introspection access. Each test runs over a real store in a
/// temporary folder.
@Suite struct EngineTests {
    static let schema = """
        type Task @model @auth(rules: [{ allow: private }]) {
          id: ID!
          title: String!
          done: Boolean
          rank: Int
          due: AWSDateTime
        }
        """

    /// An engine over a fresh store; the folder goes when `body` returns.
    static func withEngine<T>(
        introspection: IntrospectionAccess = .authenticated, limits: GraphQLLimits = GraphQLLimits(),
        _ body: (GraphQLEngine) async throws -> T
    ) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tidewater-engine-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let appSchema = try SchemaLoader.load(source: schema)
        let store = try Store(schema: appSchema, configuration: StoreConfiguration(directory: folder.path, durability: .normal))
        defer { store.close() }
        let engine = try GraphQLEngine(
            schema: appSchema, store: store, pageTokenKey: Array(repeating: 7, count: 32), limits: limits, introspection: introspection)
        return try await body(engine)
    }

    static let user = ExecutionContext(principal: .user(UserIdentity(id: "u1", username: "alice", groups: [])))

    static func run(
        _ engine: GraphQLEngine, _ query: String, variables: [String: JSONValue] = [:], context: ExecutionContext = user
    ) async throws -> (text: String, json: JSONValue, outcome: GraphQLResponse.Outcome) {
        let response = await engine.execute(GraphQLRequest(query: query, variables: variables), context: context)
        return (String(decoding: response.body, as: UTF8.self), try JSONParser.parse(response.body), response.outcome)
    }

    static func code(_ json: JSONValue) -> String? {
        json["errors"]?.arrayValue?.first?["extensions"]?["code"]?.stringValue
    }

    @Test func theCompilerRefusesWhatCannotRunWithItsCode() async throws {
        try await Self.withEngine { engine in
            let parse = try await Self.run(engine, "{ listTasks { items { id }")
            #expect(Self.code(parse.json) == "GRAPHQL_PARSE_FAILED" && parse.outcome == .requestError)
            let unknown = try await Self.run(engine, "{ listTasks { items { nope } } }")
            #expect(Self.code(unknown.json) == "GRAPHQL_VALIDATION_FAILED")
            #expect(unknown.json["errors"]?.arrayValue?.first?["locations"] == [["line": 1, "column": 23]])
            let subscription = try await Self.run(engine, "subscription { onCreateTask { id } }")
            #expect(Self.code(subscription.json) == "BAD_USER_INPUT", "served over WebSocket only: \(subscription.text)")
            // A compiled document is cached: the same text is not compiled again.
            let before = engine.cachedDocumentCount
            _ = try await Self.run(engine, "{ listTasks { items { nope } } }")
            #expect(engine.cachedDocumentCount == before)
        }
    }

    @Test func variablesAreCoercedToTheirTypesOrRefused() async throws {
        try await Self.withEngine { engine in
            let create = "mutation C($input: CreateTaskInput!) { createTask(input: $input) { id rank due } }"
            let wrongType = try await Self.run(engine, create, variables: ["input": ["title": "t", "rank": "three"]])
            #expect(Self.code(wrongType.json) == "BAD_USER_INPUT" && wrongType.json["data"] == nil, "\(wrongType.text)")
            let badDate = try await Self.run(engine, create, variables: ["input": ["title": "t", "due": "yesterday"]])
            #expect(Self.code(badDate.json) == "BAD_USER_INPUT", "\(badDate.text)")
            let missing = try await Self.run(engine, create, variables: ["input": ["rank": 1]])
            #expect(Self.code(missing.json) == "BAD_USER_INPUT", "title is required: \(missing.text)")
            let undeclared = try await Self.run(engine, create, variables: [:])
            #expect(Self.code(undeclared.json) == "BAD_USER_INPUT", "\(undeclared.text)")
            let ok = try await Self.run(engine, create, variables: ["input": ["title": "t", "rank": 3, "due": "2026-12-02T10:00:00Z"]])
            #expect(ok.json["data"]?["createTask"]?["rank"] == 3, "\(ok.text)")
            #expect(ok.json["data"]?["createTask"]?["due"] == "2026-12-02T10:00:00Z", "\(ok.text)")
        }
    }

    @Test func inputNestingIsBoundedBeforeValidation() async throws {
        var limits = GraphQLLimits()
        limits.maxInputDepth = 4
        try await Self.withEngine(limits: limits) { engine in
            let filter = #"{and: [{and: [{and: [{title: {eq: "a"}}]}]}]}"#
            let refused = try await Self.run(engine, "{ listTasks(filter: \(filter)) { items { id } } }")
            #expect(Self.code(refused.json) == "BAD_USER_INPUT", "\(refused.text)")
            let shallow = try await Self.run(engine, #"{ listTasks(filter: {title: {eq: "a"}}) { items { id } } }"#)
            #expect(shallow.json["errors"] == nil, "\(shallow.text)")
        }
    }

    @Test func theResponseFollowsTheSelectionOrderAliasesAndTypenames() async throws {
        try await Self.withEngine { engine in
            let created = try await Self.run(
                engine, #"mutation { createTask(input: {id: "t1", title: "write \"tests\"", done: false}) { id _version } }"#)
            #expect(created.text.hasPrefix(#"{"data":{"createTask":{"id":"t1","_version":1}}"#), "\(created.text)")
            let read = try await Self.run(
                engine, #"{ b: getTask(id: "t1") { done t: title __typename } a: getTask(id: "none") { id } __typename }"#)
            #expect(
                read.text == #"{"data":{"b":{"done":false,"t":"write \"tests\"","__typename":"Task"},"a":null,"__typename":"Query"}}"#,
                "\(read.text)")
            #expect(read.outcome == .executed(hadErrors: false))
        }
    }

    @Test func introspectionFollowsTheAccessSetting() async throws {
        let query = "{ __schema { queryType { name } } }"
        let anonymous = ExecutionContext(principal: .anonymous)
        let apiKey = ExecutionContext(principal: .apiKey(id: "k1"))
        try await Self.withEngine(introspection: .public) { engine in
            let open = try await Self.run(engine, query, context: anonymous)
            #expect(open.json["data"]?["__schema"]?["queryType"]?["name"] == "Query", "\(open.text)")
        }
        try await Self.withEngine(introspection: .authenticated) { engine in
            let refused = try await Self.run(engine, query, context: anonymous)
            #expect(Self.code(refused.json) == "UNAUTHENTICATED" && refused.json["data"] == nil, "\(refused.text)")
            for context in [apiKey, Self.user] {
                let allowed = try await Self.run(engine, query, context: context)
                #expect(allowed.json["data"]?["__schema"]?["queryType"]?["name"] == "Query", "\(allowed.text)")
            }
            let typename = try await Self.run(engine, "{ __typename }", context: anonymous)
            #expect(typename.text == #"{"data":{"__typename":"Query"}}"#, "not introspection")
        }
        try await Self.withEngine(introspection: .off) { engine in
            let refused = try await Self.run(engine, #"{ __type(name: "Task") { name } }"#, context: Self.user)
            #expect(Self.code(refused.json) == "INTROSPECTION_DISABLED", "\(refused.text)")
        }
    }
}
