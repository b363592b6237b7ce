import Foundation
import Logging
import Testing
import TideCrypto
import TideIdentity
import TideModel
import TideSchema
import TideTestSupport

/// The `@auth` matrix through a real server and real HTTP: every rule kind of
/// Fixtures/schemas/auth-matrix.graphql × every operation × every kind of caller. Adding a rule
/// kind adds a row to `rows`, not code.
@Suite(.serialized) struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable, CustomStringConvertible {
        /// alice: no groups; owns what she creates.
        case owner
        /// bob: no groups, owns nothing of the seeds.
        case other
        /// carol: groups admin and team-a.
        case groupMember
        case anonymous
        case apiKey
        case expiredToken
        case forgedToken

        var description: String { rawValue }
    }

    enum Operation: String, CaseIterable, CustomStringConvertible {
        case get, list, indexQuery, create, update, delete
        var description: String { rawValue }
    }

    struct Row: CustomStringConvertible {
        var model: String
        /// Who creates the records the other callers then try to read and change.
        var seededBy: Caller
        /// Extra fields of seeds and of each caller's own create.
        var fields: JSONValue = [:]
        var allowed: [Caller: Set<Operation>]
        var description: String { model }
    }

    static let all = Set(Operation.allCases)
    static let reads: Set<Operation> = [.get, .list, .indexQuery]

    static let rows: [Row] = [
        Row(model: "OwnerDoc", seededBy: .owner, allowed: [.owner: all, .other: [.create], .groupMember: [.create]]),
        Row(
            model: "SharedDoc", seededBy: .owner, fields: ["editors": ["alice", "carol"]],
            allowed: [.owner: all, .groupMember: all, .other: []]),
        Row(model: "AdminDoc", seededBy: .groupMember, allowed: [.groupMember: all]),
        Row(model: "TeamDoc", seededBy: .groupMember, fields: ["team": "team-a"], allowed: [.groupMember: all]),
        Row(model: "ProjectDoc", seededBy: .groupMember, fields: ["teams": ["team-b", "team-a"]], allowed: [.groupMember: all]),
        Row(model: "MemberDoc", seededBy: .owner, allowed: [.owner: all, .other: all, .groupMember: all]),
        Row(model: "PublicDoc", seededBy: .apiKey, allowed: [.apiKey: all]),
        Row(model: "BoardDoc", seededBy: .groupMember, allowed: [.owner: reads, .other: reads, .groupMember: all, .apiKey: [.create]]),
        Row(model: "CaseDoc", seededBy: .owner, allowed: [.owner: all, .groupMember: all, .other: [.create]]),
        Row(model: "FieldDoc", seededBy: .owner, allowed: [.owner: all, .other: all, .groupMember: all]),
    ]

    @Test func matrix() async throws {
        try await withAuthServer { env in
            for row in Self.rows {
                for caller in Caller.allCases {
                    for operation in Operation.allCases {
                        try await check(row, caller, operation, env)
                    }
                }
            }
        }
    }

    /// Runs one cell: the operation must succeed with the expected data, or be refused with the
    /// expected code and leave the record and the change feed as they were.
    private func check(_ row: Row, _ caller: Caller, _ operation: Operation, _ env: AuthEnvironment) async throws {
        let allowed = row.allowed[caller, default: []].contains(operation)
        let cell = "\(row.model) × \(caller) × \(operation) (expected \(allowed ? "allow" : "deny"))"
        let ops = ModelOperations(row.model)
        let client = env.client(caller)
        let seed = try await env.seed(row)
        let feedBefore = try await env.feedHead()

        let reply: HTTPClient.Reply
        switch operation {
        case .get:
            reply = try await client.post("query Q($id: ID!) { \(ops.get)(id: $id) { id title } }", variables: ["id": .string(seed.id)])
            if allowed {
                #expect(reply.json["data"]?[ops.get]?["title"] == .string(seed.title), "\(cell): \(reply.text)")
            } else {
                #expect(reply.json["data"]?[ops.get] ?? .null == .null, "\(cell): \(reply.text)")
            }
        case .list, .indexQuery:
            let field = operation == .list ? ops.list : ops.byCategory
            let arguments = operation == .list ? "(limit: 1000)" : "(category: \"\(seed.category)\", limit: 1000)"
            reply = try await client.post("{ \(field)\(arguments) { items { id } } }")
            let ids = reply.json["data"]?[field]?["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids.contains(seed.id) == allowed, "\(cell): \(reply.text)")
        case .create:
            var input = row.fields.objectValue ?? [:]
            input["title"] = .string("by \(caller)")
            input["category"] = .string(seed.category)
            reply = try await client.post(
                "mutation M($input: \(ops.createInput)!) { \(ops.create)(input: $input) { id title } }", variables: ["input": .object(input)])
            #expect((reply.json["data"]?[ops.create]?["title"] == .string("by \(caller)")) == allowed, "\(cell): \(reply.text)")
        case .update:
            reply = try await client.post(
                "mutation M($input: \(ops.updateInput)!) { \(ops.update)(input: $input) { id title _version } }",
                variables: ["input": ["id": .string(seed.id), "_version": 1, "title": .string("changed by \(caller)")]])
            #expect((reply.json["data"]?[ops.update]?["_version"] == 2) == allowed, "\(cell): \(reply.text)")
        case .delete:
            reply = try await client.post(
                "mutation M($input: \(ops.deleteInput)!) { \(ops.delete)(input: $input) { id _deleted } }",
                variables: ["input": ["id": .string(seed.id), "_version": 1]])
            #expect((reply.json["data"]?[ops.delete]?["_deleted"] == true) == allowed, "\(cell): \(reply.text)")
        }

        if !allowed {
            let code = reply.json["errors"]?.arrayValue?.first?["extensions"]?["code"]?.stringValue
            switch caller {
            case .expiredToken, .forgedToken:
                #expect(reply.status == 401 && code == "UNAUTHENTICATED", "\(cell): \(reply.status) \(reply.text)")
            case .anonymous:
                #expect(code == "UNAUTHENTICATED", "\(cell): \(reply.text)")
            default:
                // A list the caller may partly read answers the readable records, without error.
                if operation != .list && operation != .indexQuery || code != nil {
                    #expect(code == "FORBIDDEN", "\(cell): \(reply.text)")
                }
            }
            if [.create, .update, .delete].contains(operation) {
                #expect(try await env.feedHead() == feedBefore, "\(cell): a refused write must not reach the feed")
                let stored = try await env.read(row, seed.id)
                #expect(stored?["title"] == .string(seed.title) && stored?["_version"] == 1, "\(cell): seed changed: \(String(describing: stored))")
            }
        }
    }

    // MARK: - Rules beyond the matrix

    @Test func ownersCannotGiveRecordsAwayButAdminsCan() async throws {
        try await withAuthServer { env in
            let alice = env.client(.owner)
            let created = try await alice.data("mutation { createCaseDoc(input: {title: \"mine\"}) { id owner } }")
            #expect(created["createCaseDoc"]?["owner"] == .string(try env.userID(.owner)), "the owner field is set to the caller's id")
            let id = try #require(created["createCaseDoc"]?["id"]?.stringValue)
            let feed = try await env.feedHead()
            let handOver = "mutation M($input: UpdateCaseDocInput!) { updateCaseDoc(input: $input) { owner _version } }"
            let code = try await alice.errorCode(handOver, variables: ["input": ["id": .string(id), "_version": 1, "owner": "bob"]])
            #expect(code == "FORBIDDEN")
            #expect(try await env.feedHead() == feed)
            // Naming herself (by username, as Amplify clients do) is not a change.
            _ = try await alice.data(handOver, variables: ["input": ["id": .string(id), "_version": 1, "owner": "alice"]])
            let admin = try await env.client(.groupMember).data(
                handOver, variables: ["input": ["id": .string(id), "_version": 2, "owner": "bob"]])
            #expect(admin["updateCaseDoc"]?["owner"] == "bob")
            let bob = try await env.client(.other).data("query { getCaseDoc(id: \"\(id)\") { title owner } }")
            #expect(bob["getCaseDoc"]?["owner"] == "bob", "the new owner can read it")

            let forged = try await alice.errorCode("mutation { createOwnerDoc(input: {title: \"for bob\", owner: \"bob\"}) { id } }")
            #expect(forged == "FORBIDDEN", "creating a record for someone else")
        }
    }

    @Test func fieldRulesHideAndProtectFields() async throws {
        try await withAuthServer { env in
            let alice = env.client(.owner)
            let bob = env.client(.other)
            let carol = env.client(.groupMember)
            let created = try await alice.data("mutation { createFieldDoc(input: {title: \"t\", secret: \"s3cret\"}) { id secret } }")
            #expect(created["createFieldDoc"]?["secret"] == "s3cret")
            let id = try #require(created["createFieldDoc"]?["id"]?.stringValue)
            let query = "query { getFieldDoc(id: \"\(id)\") { title secret note } }"
            #expect(try await bob.data(query)["getFieldDoc"] == ["title": "t", "secret": nil, "note": nil])
            #expect(try await alice.data(query)["getFieldDoc"]?["secret"] == "s3cret")
            let listed = try await bob.data("{ listFieldDocs { items { id secret } } }")
            #expect(listed["listFieldDocs"]?["items"] == [["id": .string(id), "secret": nil]])

            // A filter on a hidden field cannot probe its value.
            for probe in ["{beginsWith: \"s\"}", "{beginsWith: \"x\"}", "{eq: \"s3cret\"}"] {
                let found = try await bob.data("{ listFieldDocs(filter: {secret: \(probe)}) { items { id } } }")
                #expect(found["listFieldDocs"]?["items"] == [], "probe \(probe)")
                let negated = try await bob.data("{ listFieldDocs(filter: {not: {secret: \(probe)}}) { items { id } } }")
                #expect(negated["listFieldDocs"]?["items"] == [["id": .string(id)]], "probe not \(probe)")
            }

            let update = "mutation M($input: UpdateFieldDocInput!) { updateFieldDoc(input: $input) { _version secret note } }"
            let feed = try await env.feedHead()
            #expect(try await bob.errorCode(update, variables: ["input": ["id": .string(id), "_version": 1, "secret": "mine now"]]) == "FORBIDDEN")
            #expect(try await alice.errorCode(update, variables: ["input": ["id": .string(id), "_version": 1, "note": "hi"]]) == "FORBIDDEN")
            #expect(try await carol.errorCode(update, variables: ["input": ["id": .string(id), "_version": 1, "secret": "x"]]) == "FORBIDDEN")
            #expect(try await env.feedHead() == feed, "refused field writes wrote nothing")
            let byAdmin = try await carol.data(update, variables: ["input": ["id": .string(id), "_version": 1, "note": "from admin"]])
            #expect(byAdmin["updateFieldDoc"]?["note"] == "from admin")
            #expect(byAdmin["updateFieldDoc"]?["secret"] == .null, "the admin is not the owner: secret stays hidden")
            #expect(try await bob.data(query)["getFieldDoc"]?["note"] == "from admin", "everyone signed in reads note")
            #expect(
                try await bob.errorCode("mutation { createFieldDoc(input: {title: \"x\", note: \"n\"}) { id } }") == "FORBIDDEN")
        }
    }

    /// Rules are pushed into SQL: a caller whose records are rare still gets full pages and a
    /// working nextToken.
    @Test func listPagesStayFullUnderOwnerFilters() async throws {
        try await withAuthServer { env in
            let alice = env.client(.owner)
            let bob = env.client(.other)
            let bobID = try env.userID(.other)
            let create = "mutation M($input: CreateOwnerDocInput!) { createOwnerDoc(input: $input) { id } }"
            for i in 0..<40 {
                _ = try await alice.data(create, variables: ["input": ["title": .string("a\(i)")]])
                if i % 8 == 0 { _ = try await bob.data(create, variables: ["input": ["title": .string("b\(i)")]]) }
            }
            var seen: [String] = []
            var token: JSONValue = .null
            var pages = 0
            repeat {
                let page = try await bob.data(
                    "query Q($t: String) { listOwnerDocs(limit: 2, nextToken: $t) { items { title owner } nextToken } }",
                    variables: ["t": token])
                let items = page["listOwnerDocs"]?["items"]?.arrayValue ?? []
                if page["listOwnerDocs"]?["nextToken"] != .null { #expect(items.count == 2, "a full page before the last") }
                #expect(items.allSatisfy { $0["owner"] == .string(bobID) })
                seen += items.compactMap { $0["title"]?.stringValue }
                token = page["listOwnerDocs"]?["nextToken"] ?? .null
                pages += 1
            } while token != .null && pages < 10
            #expect(Set(seen) == ["b0", "b8", "b16", "b24", "b32"])
        }
    }
}

/// Generated operation names for a model of the matrix schema, as the server derives them.
struct ModelOperations {
    static let schema = try! SchemaLoader.load(
        path: ServerProcess.packageRoot.appendingPathComponent(AuthEnvironment.schema).path)

    let model: String
    private let names: [GeneratedOperation.Kind: String]

    init(_ model: String) {
        self.model = model
        var names: [GeneratedOperation.Kind: String] = [:]
        for operation in Self.schema.generatedOperations where operation.model == model {
            names[operation.kind] = operation.fieldName
        }
        self.names = names
    }

    var get: String { names[.get]! }
    var list: String { names[.list]! }
    var byCategory: String { names[.indexQuery(indexName: "byCategory")]! }
    var create: String { names[.create]! }
    var update: String { names[.update]! }
    var delete: String { names[.delete]! }
    var createInput: String { "Create\(model)Input" }
    var updateInput: String { "Update\(model)Input" }
    var deleteInput: String { "Delete\(model)Input" }
}

extension AuthorizationMatrixTests {
    /// Tokens that must never authenticate, through `/graphql`: 401 and nothing runs.
    @Test func tokensThatMustNotAuthenticate() async throws {
        try await withAuthServer { env in
            let valid = try #require(env.client(.owner).credentials["Authorization"]?.dropFirst("Bearer ".count))
            let parts = valid.split(separator: ".").map(String.init)
            func segment(_ json: JSONValue) -> String { Base64URL.encode(json.jsonBytes) }
            let header = try JSONParser.parse(Base64URL.decode(parts[0]) ?? [])

            var unsigned = header.objectValue ?? [:]
            unsigned["alg"] = "none"
            var hmac = header.objectValue ?? [:]
            hmac["alg"] = "HS256"
            // Signed with the server's own key, but for another issuer.
            var otherIssuer = IdentityConfiguration()
            otherIssuer.issuer = "someone-else"
            let foreign = try IdentityService(
                store: IdentityStore(directory: env.server.dataDirectory.path), configuration: otherIssuer,
                logger: Logger(label: "test"))
            defer { foreign.close() }
            let wrongIssuer = try await foreign.logIn(username: "alice", password: testPassword).accessToken

            let refused: [(String, String)] = [
                ("alg none", "\(segment(.object(unsigned))).\(parts[1])."),
                ("HS256 with the payload", "\(segment(.object(hmac))).\(parts[1]).\(parts[2])"),
                ("signature of another token", "\(parts[0]).\(parts[1]).\(wrongIssuer.split(separator: ".")[2])"),
                ("wrong issuer", wrongIssuer),
                ("not a JWT", "garbage"),
            ]
            let feed = try await env.feedHead()
            for (name, token) in refused {
                let client = GraphQLClient(env.server, credentials: ["Authorization": "Bearer \(token)"])
                let reply = try await client.post("mutation { createMemberDoc(input: {title: \"x\"}) { id } }")
                #expect(reply.status == 401, "\(name): \(reply.text)")
                #expect(reply.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(name)")
                #expect(reply.json["errors"]?.arrayValue?.first?["extensions"]?["code"] == "UNAUTHENTICATED", "\(name)")
            }
            let basic = try await GraphQLClient(env.server, credentials: ["Authorization": "Basic YWxpY2U6cHc="])
                .post("{ listMemberDocs { items { id } } }")
            #expect(basic.status == 401, "a non-bearer Authorization header is refused, not ignored")
            #expect(try await env.feedHead() == feed)
        }
    }
}
