import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process whose stdout is collected as it comes (the server's first line says its
/// port; the client process's last line is its figures). Stopped by its PID.
final class Child: Sendable {
    private let process: Process
    private let output = Collected()
    let name: String

    /// Starts `executable arguments`; stderr goes to `stderrPath` (nil: this process's stderr).
    init(name: String, executable: String, arguments: [String], environment: [String: String] = [:], stderrPath: String?) throws {
        self.name = name
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        if let stderrPath {
            guard FileManager.default.createFile(atPath: stderrPath, contents: nil) else { throw BenchError("cannot create \(stderrPath)") }
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
        }
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let chunk = handle.availableData
            if chunk.isEmpty {
                handle.readabilityHandler = nil
            } else {
                output.append(chunk)
            }
        }
        do {
            try process.run()
        } catch {
            throw BenchError("cannot start \(executable): \(error.localizedDescription)")
        }
    }

    var stdout: String { output.text }
    var isRunning: Bool { process.isRunning }
    var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Waits (bounded) until the process ends; SIGKILL when it does not. Returns its status.
    @discardableResult
    func wait(timeout: Duration) async -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        // The last bytes of stdout may still be on their way to the handler.
        try? await Task.sleep(for: .milliseconds(50))
        return process.terminationStatus
    }

    /// SIGTERM, then a bounded wait for the exit (SIGKILL after it).
    @discardableResult
    func stop(timeout: Duration = .seconds(20)) async -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        return await wait(timeout: timeout)
    }
}

/// Bytes a pipe's reader hands over from its own thread.
private final class Collected: Sendable {
    private let data = Mutex(Data())

    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}

/// A `tidewater serve` on a free loopback port, with a data folder of its own.
struct TidewaterServer {
    let child: Child
    let url: URL
    let logPath: String

    /// Starts the server and waits (bounded) for the line that says where it serves.
    static func start(binary: String, schema: String, data: String, logPath: String) async throws -> TidewaterServer {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("no tidewater binary at \(binary): build it (swift build -c release --product tidewater) or give --tidewater PATH")
        }
        let child = try Child(
            name: "tidewater", executable: binary,
            arguments: [
                "serve", "--schema", schema, "--data", data, "--host", "127.0.0.1", "--port", "0", "--durability", "full",
                "--graphql-rate-limit", "off", "--auth-rate-limit", "off",
            ],
            stderrPath: logPath)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let printed = child.stdout
            if let range = printed.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                return TidewaterServer(child: child, url: URL(string: String(printed[range]))!, logPath: logPath)
            }
            if let status = child.exitStatus {
                throw BenchError("tidewater exited (\(status)) before serving; its log: \(logPath)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        await child.stop()
        throw BenchError("tidewater did not say where it serves within 60 s; its log: \(logPath)")
    }
}

/// This process's peak resident set (`VmHWM` of /proc/self/status) and current one (`VmRSS`), in bytes.
enum ResidentMemory {
    static var peak: Int? { field("VmHWM") }
    static var current: Int? { field("VmRSS") }

    /// Starts the peak over from the current resident set (`5` to `/proc/self/clear_refs`).
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    private static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kilobytes = line.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) }
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
