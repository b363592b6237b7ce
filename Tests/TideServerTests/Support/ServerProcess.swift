import Foundation
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// A real `tidewater serve` child process on a free loopback port, stopped by its PID.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: the mutable state (process, baseURL, defaultToken) is only touched from the test task
    // that owns this object; the type is Sendable only so it can be captured by async closures.

    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TIDEWATER_BIN"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/tidewater")
    }

    let dataDirectory: URL
    let process = Process()
    private let stdout = PipeCollector()
    /// The server's log (its last 256 KiB).
    private let stderr = PipeCollector(limit: 256 << 10)
    private(set) var baseURL: URL!
    /// The access token of the user `tester`, signed in at start (nil with `signIn: false`).
    private(set) var defaultToken: String?

    /// Rate limits are off unless a test asks for them: tests send requests much faster than
    /// any client would.
    static let unlimited = ["--auth-rate-limit", "off", "--graphql-rate-limit", "off"]

    /// Starts the server, waits (bounded) until it prints the URL it serves on and, with
    /// `signIn`, signs up and logs in the user `tester` for `GraphQLClient(server)`.
    init(
        schema: String = "Schema/example.graphql", dataDirectory: URL? = nil, extraArguments: [String] = [],
        environment: [String: String] = [:], signIn: Bool = true, startTimeout: Duration = .seconds(60)
    ) async throws {
        self.dataDirectory = dataDirectory ?? Self.temporaryDirectory()
        let schemaPath = schema.hasPrefix("/") ? schema : Self.packageRoot.appendingPathComponent(schema).path
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw TestFailure("tidewater binary not found at \(Self.binary.path): run `swift build` first (make test does)")
        }
        process.executableURL = Self.binary
        process.arguments =
            ["serve", "--schema", schemaPath, "--data", self.dataDirectory.path, "--host", "127.0.0.1", "--port", "0"]
            + Self.unlimited + extraArguments
        process.standardOutput = stdout.pipe
        process.standardError = stderr.pipe
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        try process.run()
        baseURL = try await waitForURL(timeout: startTimeout)
        if signIn { defaultToken = try await HTTPClient().signIn(baseURL, username: "tester") }
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tidewater-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func waitForURL(timeout: Duration) async throws -> URL {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let printed = stdout.text
            if let range = printed.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
                return URL(string: String(printed[range]))!
            }
            guard process.isRunning else {
                // Its last words may still be in the pipe.
                while !stderr.ended && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                throw TestFailure("tidewater exited early (\(process.terminationStatus)): \(readStderr())")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw TestFailure("tidewater did not print its URL within \(timeout)")
    }

    /// What the server has logged so far.
    func readStderr() -> String {
        stderr.text
    }

    var graphQLURL: URL { baseURL.appendingPathComponent("graphql") }

    /// SIGTERM, then wait (bounded) for a clean exit; returns the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(20)) async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        return await waitForExit(timeout: timeout) { [self] in
            // Printed into the test log, so that a stop that hangs in CI says where it hangs.
            let pid = process.processIdentifier
            let sockets = await Self.diagnostic("/usr/bin/ss", ["-tanpei"]) { $0.contains("pid=\(pid),") }
            let stacks = await Self.diagnostic("/usr/bin/gdb", ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt 30"]) {
                $0.hasPrefix("Thread") || $0.hasPrefix("#")
            }
            print("""
                === tidewater (pid \(pid)) did not exit within \(timeout) of SIGTERM
                --- its stderr
                \(readStderr())
                --- its TCP sockets
                \(sockets)
                --- its threads
                \(stacks)
                """)
        }
    }

    /// SIGKILL: the process gets no chance to clean up.
    func crash() async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        _ = await waitForExit(timeout: .seconds(10))
    }

    /// Waits for the process to end; after `timeout`, runs `stuck` and kills it.
    private func waitForExit(timeout: Duration, stuck: () async -> Void = {}) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            await stuck()
            kill(process.processIdentifier, SIGKILL)
            let killed = ContinuousClock.now + .seconds(10)
            while process.isRunning && ContinuousClock.now < killed { try? await Task.sleep(for: .milliseconds(20)) }
        }
        return process.isRunning ? -1 : process.terminationStatus
    }

    /// The lines of a diagnostic tool's output that `keep` selects, or why there are none.
    private static func diagnostic(_ tool: String, _ arguments: [String], keep: (Substring) -> Bool) async -> String {
        guard FileManager.default.isExecutableFile(atPath: tool) else { return "(\(tool) is not installed)" }
        do {
            let result = try await runProcess(URL(fileURLWithPath: tool), arguments, timeout: .seconds(30))
            return result.stdout.split(separator: "\n").filter(keep).joined(separator: "\n")
        } catch {
            return "(\(tool) failed: \(error))"
        }
    }

    func removeData() {
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

extension ServerProcess {
    /// The change feed's head seq, from `/metrics`.
    func feedHead() async throws -> Int64 {
        Int64(try await metric("tidewater_feed_head_seq"))
    }

    /// A sample of `/metrics` by its name.
    func metric(_ name: String) async throws -> Double {
        let reply = try await HTTPClient().send("GET", baseURL.appendingPathComponent("metrics"))
        guard let line = reply.text.split(separator: "\n").first(where: { $0.hasPrefix(name + " ") }),
            let value = Double(line.split(separator: " ")[1])
        else { throw TestFailure("no \(name) in /metrics") }
        return value
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` against a fresh server and always stops it (and removes its data) afterwards.
func withServer<T>(
    schema: String = "Schema/example.graphql", extraArguments: [String] = [], signIn: Bool = true,
    _ body: (ServerProcess, GraphQLClient) async throws -> T
) async throws -> T {
    let server = try await ServerProcess(schema: schema, extraArguments: extraArguments, signIn: signIn)
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
