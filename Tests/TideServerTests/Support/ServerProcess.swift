import Foundation
import Synchronization
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// A real `tidewater serve` child process on a free loopback port, stopped by its PID.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: the mutable state (process, output pipe) is only touched from the test task
    // that owns this object; the type is Sendable only so it can be captured by async closures.

    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TIDEWATER_BIN"] { return URL(fileURLWithPath: path) }
        return packageRoot.appendingPathComponent(".build/debug/tidewater")
    }

    let dataDirectory: URL
    let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    /// The server's log so far (its last 256 KiB), read as it is written: an undrained pipe
    /// would block a server that logs more than the pipe holds.
    private let log = Mutex(Data())
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
        process.standardOutput = stdout
        process.standardError = stderr
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self, !chunk.isEmpty else { handle.readabilityHandler = nil; return }
            self.log.withLock {
                $0.append(chunk)
                if $0.count > 256 << 10 { $0.removeFirst($0.count - (256 << 10)) }
            }
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
        let handle = stdout.fileHandleForReading
        let deadline = ContinuousClock.now + timeout
        var buffer = ""
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw TestFailure("tidewater exited early (\(process.terminationStatus)): \(readStderr())")
            }
            let chunk = try await Self.readAvailable(handle, until: deadline)
            buffer += chunk
            if let range = buffer.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
                return URL(string: String(buffer[range]))!
            }
        }
        process.terminate()
        throw TestFailure("tidewater did not print its URL within \(timeout)")
    }

    /// Reads what the pipe has without blocking past the deadline.
    private static func readAvailable(_ handle: FileHandle, until deadline: ContinuousClock.Instant) async throws -> String {
        let fd = handle.fileDescriptor
        while ContinuousClock.now < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 0) > 0 {
                var bytes = [UInt8](repeating: 0, count: 4096)
                let n = read(fd, &bytes, bytes.count)
                if n > 0 { return String(decoding: bytes[..<n], as: UTF8.self) }
                if n == 0 { return "" }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return ""
    }

    /// What the server has logged so far.
    func readStderr() -> String {
        log.withLock { String(decoding: $0, as: UTF8.self) }
    }

    var graphQLURL: URL { baseURL.appendingPathComponent("graphql") }

    /// SIGTERM, then wait (bounded) for a clean exit; returns the exit status.
    @discardableResult
    func stop(timeout: Duration = .seconds(20)) async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        return await waitForExit(timeout: timeout) { [self] in
            // Printed into the test log, so that a stop that hangs in CI says where it hangs.
            print("""
                === tidewater (pid \(process.processIdentifier)) did not exit within \(timeout) of SIGTERM
                --- its stderr
                \(readStderr())
                --- its TCP sockets
                \(Self.run("/usr/bin/ss", ["-tanpei"]).split(separator: "\n").filter { $0.contains("pid=\(process.processIdentifier),") }.joined(separator: "\n"))
                --- its threads
                \(Self.threadStacks(of: process.processIdentifier))
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

    /// Every thread's stack of a running process, from gdb, or why there is none.
    private static func threadStacks(of pid: Int32) -> String {
        run("/usr/bin/gdb", ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt 30"])
            .split(separator: "\n").filter { $0.hasPrefix("Thread") || $0.hasPrefix("#") }.joined(separator: "\n")
    }

    /// A diagnostic tool's output (at most 30 s of it), or why there is none.
    private static func run(_ tool: String, _ arguments: [String]) -> String {
        guard FileManager.default.isExecutableFile(atPath: tool) else { return "(\(tool) is not installed)" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["30", tool] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { return "(\(tool) did not start: \(error))" }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
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
