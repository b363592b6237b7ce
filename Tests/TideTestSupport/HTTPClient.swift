import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TideModel
import TideTestSupport

/// A real HTTP client (AsyncHTTPClient, on SwiftNIO) for talking to the server under test.
///
/// Not URLSession: on Linux it is libcurl driven by libdispatch sources, and under the parallel
/// tests a request now and then sent its head and never its body (seen in the server's log:
/// the head read, nothing more for 20 s), which held a graceful stop waiting for that request
/// to end. One client with a connection pool serves the whole test process, and each request
/// has an overall deadline, so a request whose reply never arrives fails its test instead of
/// stalling the run.
public struct HTTPClient: Sendable {
    public init() {}

    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data

        public var json: JSONValue { (try? JSONParser.parse(Array(body))) ?? .null }
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    private static let client: AsyncHTTPClient.HTTPClient = {
        var configuration = AsyncHTTPClient.HTTPClient.Configuration()
        // Load tests run 16 requests at once against one server.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return AsyncHTTPClient.HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    public func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return try await withDeadline(.seconds(45), "\(method) \(url.path)") { [request] in
            let response = try await Self.client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 64 << 20)
            var replyHeaders: [String: String] = [:]
            for header in response.headers {
                replyHeaders[header.name] = replyHeaders[header.name].map { "\($0), \(header.value)" } ?? header.value
            }
            return Reply(status: Int(response.status.code), headers: replyHeaders, body: Data(body.readableBytesView))
        }
    }
}

/// GraphQL over HTTP against one server, with the caller's credentials on every request.
public struct GraphQLClient: Sendable {
    public let url: URL
    public let http = HTTPClient()
    /// `Authorization` or `x-api-key`.
    public var credentials: [String: String]

    /// A client signed in as the server's default test user.
    public init(_ server: ServerProcess) {
        self.init(server, credentials: server.defaultToken.map { ["Authorization": "Bearer \($0)"] } ?? [:])
    }

    public init(_ server: ServerProcess, credentials: [String: String]) {
        url = server.graphQLURL
        self.credentials = credentials
    }

    /// POSTs a request and returns the decoded response object.
    @discardableResult
    public func post(_ query: String, variables: JSONValue = [:], operationName: String? = nil, accept: String? = nil) async throws -> HTTPClient.Reply {
        var body: [String: JSONValue] = ["query": .string(query), "variables": variables]
        if let operationName { body["operationName"] = .string(operationName) }
        var headers = credentials
        headers["Content-Type"] = "application/json"
        if let accept { headers["Accept"] = accept }
        return try await http.send("POST", url, headers: headers, body: Data(JSONValue.object(body).jsonBytes))
    }

    /// POSTs and returns `data`, failing when the response has errors.
    public func data(_ query: String, variables: JSONValue = [:]) async throws -> JSONValue {
        let reply = try await post(query, variables: variables)
        if let errors = reply.json["errors"] { throw TestFailure("unexpected errors: \(errors.jsonString)") }
        guard let data = reply.json["data"] else { throw TestFailure("no data in \(reply.text)") }
        return data
    }

    /// The first error's `extensions.code`.
    public func errorCode(_ query: String, variables: JSONValue = [:]) async throws -> String? {
        let reply = try await post(query, variables: variables)
        return reply.json["errors"]?.arrayValue?.first?["extensions"]?["code"]?.stringValue
    }
}

extension HTTPClient {
    /// POSTs a JSON body.
    public func postJSON(_ url: URL, _ body: JSONValue, headers: [String: String] = [:]) async throws -> Reply {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return try await send("POST", url, headers: headers, body: Data(body.jsonBytes))
    }

    /// Signs a user up (an existing one is fine) and logs in; returns the access token.
    public func signIn(_ baseURL: URL, username: String, password: String = testPassword) async throws -> String {
        let credentials: JSONValue = ["username": .string(username), "password": .string(password)]
        let signUp = try await postJSON(baseURL.appendingPathComponent("auth/signup"), credentials)
        guard signUp.status == 201 || signUp.status == 409 else { throw TestFailure("signup \(username): \(signUp.status) \(signUp.text)") }
        let login = try await postJSON(baseURL.appendingPathComponent("auth/login"), credentials)
        guard login.status == 200, let token = login.json["accessToken"]?.stringValue else {
            throw TestFailure("login \(username): \(login.status) \(login.text)")
        }
        return token
    }
}

/// The password test users sign up with.
public let testPassword = "correct horse battery staple"
