import Foundation
import Logging
import TideCrypto
import TideIdentity
import TideModel
import TideTestSupport

/// A server on the authorization matrix schema with one client per kind of caller:
/// alice (no groups), bob (no groups), carol (admin, team-a), anonymous, an API key, an expired
/// token and a forged one. Users, groups and keys are made with the same identity service the
/// server runs, on its data folder.
struct AuthEnvironment: Sendable {
    typealias Caller = AuthorizationMatrixTests.Caller

    let server: ServerProcess
    private let clients: [Caller: GraphQLClient]

    static let schema = "Fixtures/schemas/auth-matrix.graphql"

    init(server: ServerProcess) async throws {
        self.server = server
        let http = HTTPClient()
        let identity = try IdentityService(
            store: IdentityStore(directory: server.dataDirectory.path), logger: Logger(label: "test"))
        defer { identity.close() }

        _ = try await identity.signUp(username: "carol", password: testPassword)
        try identity.addToGroup(username: "carol", group: "admin")
        try identity.addToGroup(username: "carol", group: "team-a")
        let alice = try await http.signIn(server.baseURL, username: "alice")
        let bob = try await http.signIn(server.baseURL, username: "bob")
        let carol = try await http.signIn(server.baseURL, username: "carol")
        let apiKey = try identity.createAPIKey(name: "matrix").key

        // Issued an hour ago by the server's own signing key: expired well beyond the leeway.
        var pastConfiguration = identity.configuration
        pastConfiguration.now = { Date().addingTimeInterval(-3600) }
        let past = try IdentityService(
            store: IdentityStore(directory: server.dataDirectory.path), configuration: pastConfiguration,
            logger: Logger(label: "test"))
        defer { past.close() }
        let expired = try await past.logIn(username: "alice", password: testPassword).accessToken

        func bearer(_ token: String) -> GraphQLClient {
            GraphQLClient(server, credentials: ["Authorization": "Bearer \(token)"])
        }
        clients = [
            .owner: bearer(alice),
            .other: bearer(bob),
            .groupMember: bearer(carol),
            .anonymous: GraphQLClient(server, credentials: [:]),
            .apiKey: GraphQLClient(server, credentials: ["x-api-key": apiKey]),
            .expiredToken: bearer(expired),
            .forgedToken: bearer(try Self.forge(alice, groups: ["admin"])),
        ]
    }

    /// alice's token with her groups rewritten: the signature no longer matches.
    static func forge(_ token: String, groups: [String]) throws -> String {
        let parts = token.split(separator: ".").map(String.init)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]), case .object(var claims) = try JSONParser.parse(payload)
        else { throw TestFailure("not a JWT") }
        claims["groups"] = .array(groups.map(JSONValue.string))
        return [parts[0], Base64URL.encode(JSONValue.object(claims).jsonBytes), parts[2]].joined(separator: ".")
    }

    func client(_ caller: Caller) -> GraphQLClient { clients[caller]! }

    /// The user id (`sub`) in a signed-in caller's token.
    func userID(_ caller: Caller) throws -> String {
        let token = client(caller).credentials["Authorization"]?.dropFirst("Bearer ".count) ?? ""
        let payload = token.split(separator: ".").dropFirst().first.flatMap { Base64URL.decode(String($0)) } ?? []
        guard let sub = try JSONParser.parse(payload)["sub"]?.stringValue else { throw TestFailure("no sub in the token") }
        return sub
    }

    struct Seed {
        var id: String
        var title: String
        var category: String
    }

    /// A fresh record of the row's model, created by the row's seeder.
    func seed(_ row: AuthorizationMatrixTests.Row) async throws -> Seed {
        let ops = ModelOperations(row.model)
        var input = row.fields.objectValue ?? [:]
        let seed = Seed(id: "", title: "seed-\(UUID().uuidString.prefix(8))", category: UUID().uuidString)
        input["title"] = .string(seed.title)
        input["category"] = .string(seed.category)
        if row.model == "FieldDoc" { input["secret"] = "s3cret" }
        let data = try await client(row.seededBy).data(
            "mutation M($input: \(ops.createInput)!) { \(ops.create)(input: $input) { id } }", variables: ["input": .object(input)])
        guard let id = data[ops.create]?["id"]?.stringValue else { throw TestFailure("seed of \(row.model) failed") }
        return Seed(id: id, title: seed.title, category: seed.category)
    }

    /// The record as its seeder sees it.
    func read(_ row: AuthorizationMatrixTests.Row, _ id: String) async throws -> JSONValue? {
        let ops = ModelOperations(row.model)
        let data = try await client(row.seededBy).data(
            "query Q($id: ID!) { \(ops.get)(id: $id) { title _version } }", variables: ["id": .string(id)])
        return data[ops.get].flatMap { $0.isNull ? nil : $0 }
    }

    func feedHead() async throws -> Int64 { try await server.feedHead() }
}

/// Runs `body` against a fresh server on the matrix schema.
func withAuthServer(extraArguments: [String] = [], _ body: (AuthEnvironment) async throws -> Void) async throws {
    try await withServer(schema: AuthEnvironment.schema, extraArguments: extraArguments, signIn: false) { server, _ in
        try await body(try await AuthEnvironment(server: server))
    }
}
