import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// What a finished command printed.
public struct CLIResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, feeding `input` to its stdin; killed if it runs past `timeout`.
public func runProcess(
    _ executable: URL, _ arguments: [String], input: String? = nil, timeout: Duration = .seconds(60)
) async throws -> CLIResult {
    let child = try await ChildProcess.start(executable, arguments, input: input ?? "")
    var stuck = ""
    let (status, killed) = await child.finish(within: timeout) {
        // Before the kill: whether the process or only its output had not finished.
        stuck = """
            (stdout \(child.stdout.ended ? "ended" : "open"), stderr \(child.stderr.ended ? "ended" : "open"))
            \(await threadStacks(child.pid))
            """
    }
    if killed {
        let command = ([executable.lastPathComponent] + arguments).joined(separator: " ")
        throw TestFailure("\(command) did not finish within \(timeout) \(stuck)")
    }
    return CLIResult(status: status, stdout: child.stdout.text, stderr: child.stderr.text)
}

/// A child process of the tests, its output collected as it is written.
///
/// Started with swift-subprocess rather than Foundation's `Process`, whose Linux version let
/// two kinds of test run fail at random under parallel tests: it emulates close-on-exec by
/// closing the descriptors it saw open a moment before spawning, so a pipe or socket another
/// test opens in between leaks into the child; and its pipes are read through
/// `readabilityHandler`s, whose libdispatch sources, set up and torn down by many tests at once,
/// can lose an end of file (swift-corelibs-libdispatch issues 833 and 949): CI saw
/// `tidewater schema print` "not finish" for 60 s after it had exited, with no other process
/// holding its pipe. swift-subprocess closes every other descriptor in the child and reads
/// pipes on its own epoll thread.
public final class ChildProcess: Sendable {
    private struct State {
        var pid: pid_t = 0
        var status: Int32?
    }

    public let stdout = OutputCollector()
    public let stderr: OutputCollector
    private let state = Mutex(State())

    private init(stderrLimit: Int) {
        stderr = OutputCollector(limit: stderrLimit)
    }

    /// Starts `executable` with the tests' environment plus `environment`; returns once it runs.
    /// `input` is its whole stdin; `stderrLimit` caps how much of its stderr is kept (the last bytes).
    public static func start(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], input: String = "",
        stderrLimit: Int = .max
    ) async throws -> ChildProcess {
        let child = ChildProcess(stderrLimit: stderrLimit)
        let (launched, launch) = AsyncStream<Result<Void, any Error>>.makeStream()
        var overrides: [Environment.Key: String?] = [:]
        for (name, value) in environment { overrides[Environment.Key(stringLiteral: name)] = value }
        Task {
            let status: Int32
            do {
                let result = try await run(
                    .path(FilePath(executable.path)), arguments: Arguments(arguments),
                    environment: .inherit.updating(overrides), input: .string(input), output: .sequence, error: .sequence
                ) { execution in
                    child.state.withLock { $0.pid = execution.processIdentifier.value }
                    launch.yield(.success(()))
                    async let output: Void = child.stdout.drain(execution.standardOutput)
                    async let errors: Void = child.stderr.drain(execution.standardError)
                    _ = try await (output, errors)
                }
                switch result.terminationStatus {
                case .exited(let code): status = code
                case .signaled(let signal): status = signal
                }
            } catch {
                launch.yield(.failure(error))
                status = -1
            }
            child.state.withLock { $0.status = status }
            launch.finish()
        }
        for await outcome in launched {
            try outcome.get()
            return child
        }
        throw TestFailure("\(executable.path) did not start")
    }

    public var pid: pid_t { state.withLock { $0.pid } }

    /// The exit status (the signal's number for a process a signal ended), once the process has
    /// exited and its output has been read to the end; nil before.
    public var exitStatus: Int32? { state.withLock { $0.status } }

    /// Sends `signal` unless the process is known to have exited.
    public func signal(_ signal: Int32) {
        state.withLock { state in
            // The pid is not reused before swift-subprocess reaps the process, which it does
            // just before the status is recorded; Linux hands out pids in turn, so the moment
            // in between is no risk.
            if state.status == nil && state.pid > 0 { kill(state.pid, signal) }
        }
    }

    /// The exit status, waiting (bounded) for it. A process still running after `timeout` is
    /// killed once `stuck` has looked at it (`killed`; its status is then -1 if it outlives
    /// SIGKILL by 10 s).
    public func finish(within timeout: Duration, whenStuck stuck: () async -> Void = {}) async -> (status: Int32, killed: Bool) {
        if let status = await waitForExit(timeout: timeout) { return (status, false) }
        await stuck()
        signal(SIGKILL)
        return (await waitForExit(timeout: .seconds(10)) ?? -1, true)
    }

    private func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }
}

/// A child's output stream, kept as it is read. Keeps the last `limit` bytes.
public final class OutputCollector: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        var ended = false
    }

    private let limit: Int
    private let state = Mutex(State())

    public init(limit: Int = .max) {
        self.limit = limit
    }

    fileprivate func drain(_ output: SubprocessOutputSequence) async throws {
        defer { state.withLock { $0.ended = true } }
        for try await chunk in output {
            chunk.withUnsafeBytes { chunk in
                state.withLock {
                    $0.bytes.append(contentsOf: chunk)
                    if $0.bytes.count > limit { $0.bytes.removeFirst($0.bytes.count - limit) }
                }
            }
        }
    }

    /// What was written so far.
    public var text: String { state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    /// Whether the stream has been read to its end.
    public var ended: Bool { state.withLock { $0.ended } }
}

/// Every thread's stack of a running process (gdb), for a test that found it stuck.
public func threadStacks(_ pid: pid_t) async -> String {
    await diagnostic("/usr/bin/gdb", ["-p", "\(pid)", "-batch", "-ex", "thread apply all bt 30"]) {
        $0.hasPrefix("Thread") || $0.hasPrefix("#")
    }
}

/// The lines of a diagnostic tool's output that `keep` selects, or why there are none.
public func diagnostic(_ tool: String, _ arguments: [String], keep: (Substring) -> Bool) async -> String {
    guard FileManager.default.isExecutableFile(atPath: tool) else { return "(\(tool) is not installed)" }
    do {
        let result = try await runProcess(URL(fileURLWithPath: tool), arguments, timeout: .seconds(30))
        return result.stdout.split(separator: "\n").filter(keep).joined(separator: "\n")
    } catch {
        return "(\(tool) failed: \(error))"
    }
}

/// A test's own failure with a sentence saying what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
