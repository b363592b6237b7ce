import Foundation
import Testing
import TideClient
import TideModel
import TideTestSupport

/// One `tidewater serve` for a whole suite (tests isolate themselves with users of their own):
/// `@Suite(.sharedServer())`, then ``SharedServer/current`` inside its tests.
struct SharedServer: SuiteTrait, TestScoping {
    /// Settings for the server's `--config` file (e.g. a short token lifetime).
    var settings: [String: JSONValue] = [:]

    @TaskLocal static var current: ServerProcess?

    static func server() throws -> ServerProcess {
        guard let current else { throw TestFailure("no shared server: add .sharedServer() to the suite") }
        return current
    }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        var extra: [String] = []
        var configFile: URL?
        if !settings.isEmpty {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("tide-test-config-\(UUID().uuidString).json")
            try Data(JSONValue.object(settings).jsonBytes).write(to: file)
            extra = ["--config", file.path]
            configFile = file
        }
        defer { configFile.map { try? FileManager.default.removeItem(at: $0) } }
        try await withServer(extraArguments: extra, signIn: false) { server, _ in
            try await Self.$current.withValue(server) { try await function() }
        }
    }
}

extension Trait where Self == SharedServer {
    static func sharedServer(_ settings: [String: JSONValue] = [:]) -> Self { SharedServer(settings: settings) }
}

/// A TideClient on a fresh store folder, signed in as a new user (or `user` again: another
/// device of the same account).
struct Device: Sendable {
    let client: TideClient
    let directory: URL
    let username: String

    static func signIn(
        _ server: ServerProcess, as username: String? = nil, newUser: Bool = true,
        configure: @Sendable (inout TideClient.Configuration) -> Void = { _ in }
    ) async throws -> Device {
        let name = username ?? "u\(UUID().uuidString.prefix(8).lowercased())"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tide-client-\(UUID().uuidString)")
        var configuration = TideClient.Configuration(server: server.baseURL, storeDirectory: directory)
        configuration.syncRetryWindow = .seconds(5)
        configure(&configuration)
        let client = TideClient(configuration: configuration)
        if newUser {
            do {
                _ = try await client.signUp(username: name, password: testPassword)
            } catch {
                // 409: the account exists (another device of the same user).
                guard case .server(let code, _) = error, code == "HTTP 409" else { throw error }
            }
        }
        try await client.signIn(username: name, password: testPassword)
        return Device(client: client, directory: directory, username: name)
    }

    /// Another device of the same user.
    func sibling(_ server: ServerProcess, configure: @Sendable (inout TideClient.Configuration) -> Void = { _ in }) async throws -> Device {
        try await Device.signIn(server, as: username, newUser: false, configure: configure)
    }

    /// A GraphQL client for the same user, straight to the server.
    func graphQL(_ server: ServerProcess) async throws -> GraphQLClient {
        let token = try await HTTPClient().signIn(server.baseURL, username: username)
        return GraphQLClient(server, credentials: ["Authorization": "Bearer \(token)"])
    }

    func close() async {
        await client.stopLiveSync()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Waits (bounded) until `condition` holds.
func eventually(
    _ what: String, timeout: Duration = .seconds(20), _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw TestFailure("\(what): not within \(timeout)")
}
