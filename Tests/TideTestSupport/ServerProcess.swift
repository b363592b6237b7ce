import Foundation
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// A real `tidewater serve` child process on a free loopback port, stopped by its PID.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked: the mutable state (baseURL, defaultToken) is only touched from the test task
    // that owns this object; the type is Sendable only so it can be captured by async closures.

    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TIDEWATER_BIN"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/tidewater")
    }

    public let dataDirectory: URL
    /// The server; its stderr (the log) keeps the last 256 KiB.
    private let child: ChildProcess
    public private(set) var baseURL: URL!
    /// The access token of the user `tester`, signed in at start (nil with `signIn: false`).
    public private(set) var defaultToken: String?

    /// Rate limits are off unless a test asks for them: tests send requests much faster than
    /// any client would.
    public static let unlimited = ["--auth-rate-limit", "off", "--graphql-rate-limit", "off"]

    /// Starts the server, waits (bounded) until it prints the URL it serves on and, with
    /// `signIn`, signs up and logs in the user `tester` for `GraphQLClient(server)`. `port` 0
    /// takes a free one; a restart on the same data folder may ask for the port it had.
    public init(
        schema: String = "Schema/example.graphql", dataDirectory: URL? = nil, port: Int = 0, extraArguments: [String] = [],
        environment: [String: String] = [:], signIn: Bool = true, startTimeout: Duration = .seconds(60)
    ) async throws {
        self.dataDirectory = dataDirectory ?? Self.temporaryDirectory()
        let schemaPath = schema.hasPrefix("/") ? schema : Self.packageRoot.appendingPathComponent(schema).path
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw TestFailure("tidewater binary not found at \(Self.binary.path): run `swift build` first (make test does)")
        }
        child = try await ChildProcess.start(
            Self.binary,
            ["serve", "--schema", schemaPath, "--data", self.dataDirectory.path, "--host", "127.0.0.1", "--port", String(port)]
                + Self.unlimited + extraArguments,
            environment: environment, stderrLimit: 256 << 10)
        baseURL = try await waitForURL(timeout: startTimeout)
        if signIn { defaultToken = try await HTTPClient().signIn(baseURL, username: "tester") }
    }

    public static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tidewater-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func waitForURL(timeout: Duration) async throws -> URL {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let printed = child.stdout.text
            if let range = printed.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
                return URL(string: String(printed[range]))!
            }
            if let status = child.exitStatus {
                throw TestFailure("tidewater exited early (\(status)): \(readStderr())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        child.signal(SIGTERM)
        throw TestFailure("tidewater did not print its URL within \(timeout)")
    }

    /// What the server has logged so far.
    public func readStderr() -> String {
        child.stderr.text
    }

    public var graphQLURL: URL { baseURL.appendingPathComponent("graphql") }

    /// SIGTERM, then wait (bounded) for a clean exit; returns the exit status. A stop that does
    /// not finish prints the server's state, and what `context` says of the test's.
    @discardableResult
    public func stop(timeout: Duration = .seconds(20), context: () -> String = { "" }) async -> Int32 {
        if let status = child.exitStatus { return status }
        child.signal(SIGTERM)
        return await child.finish(within: timeout) { [self] in
            // Printed into the test log, so that a stop that hangs in CI says where it hangs.
            let pid = child.pid
            // Both ends of its connections: which process holds the peer of a connection that stays open.
            let port = baseURL.port ?? 0
            let sockets = await diagnostic("/usr/bin/ss", ["-tanpei"]) {
                $0.contains("pid=\(pid),") || $0.contains(":\(port) ")
            }
            let stacks = await threadStacks(pid)
            print("""
                === tidewater (pid \(pid)) did not exit within \(timeout) of SIGTERM \(context())
                --- its stderr
                \(readStderr())
                --- its TCP sockets
                \(sockets)
                --- its threads
                \(stacks)
                """)
        }.status
    }

    /// SIGKILL: the process gets no chance to clean up.
    public func crash() async {
        child.signal(SIGKILL)
        _ = await child.finish(within: .seconds(10))
    }

    public func removeData() {
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    deinit {
        child.signal(SIGKILL)
    }
}

extension ServerProcess {
    /// The change feed's head seq, from `/metrics`.
    public func feedHead() async throws -> Int64 {
        Int64(try await metric("tidewater_feed_head_seq"))
    }

    /// A sample of `/metrics` by its name.
    public func metric(_ name: String) async throws -> Double {
        let reply = try await HTTPClient().send("GET", baseURL.appendingPathComponent("metrics"))
        guard let line = reply.text.split(separator: "\n").first(where: { $0.hasPrefix(name + " ") }),
            let value = Double(line.split(separator: " ")[1])
        else { throw TestFailure("no \(name) in /metrics") }
        return value
    }
}

/// Runs `tidewater <arguments>` (the binary the server tests start) to completion, feeding
/// `input` to its stdin; killed if it runs past `timeout`.
public func runTidewater(_ arguments: [String], input: String? = nil, timeout: Duration = .seconds(60)) async throws -> CLIResult {
    try await runProcess(ServerProcess.binary, arguments, input: input, timeout: timeout)
}

/// Runs `body` against a fresh server and always stops it (and removes its data) afterwards.
public func withServer<T>(
    schema: String = "Schema/example.graphql", extraArguments: [String] = [], environment: [String: String] = [:],
    signIn: Bool = true, _ body: (ServerProcess, GraphQLClient) async throws -> T
) async throws -> T {
    let server = try await ServerProcess(
        schema: schema, extraArguments: extraArguments, environment: environment, signIn: signIn)
    do {
        let result = try await body(server, GraphQLClient(server))
        await server.stop()
        server.removeData()
        return result
    } catch {
        await server.stop()
        server.removeData()
        throw error
    }
}
