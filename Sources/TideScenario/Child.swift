import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A child process (a `tide` command, a `tide watch`, a server) with its output collected as it
/// is written. swift-subprocess, not Foundation's `Process`: it closes every other descriptor
/// in the child and reads pipes on its own thread (STACK-NOTES, "Learned while building the server").
public final class Child: Sendable {
    public struct Finished: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    private struct State {
        var pid: pid_t = 0
        var status: Int32?
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
    }

    private let state = Mutex(State())
    public let command: String

    private init(command: String) {
        self.command = command
    }

    /// Runs to completion; killed (status -9) when it outlives `timeout`.
    public static func run(
        _ executable: String, _ arguments: [String], input: String = "", environment: [String: String] = [:],
        timeout: Duration = .seconds(120)
    ) async throws -> Finished {
        let child = try await start(executable, arguments, input: input, environment: environment)
        guard let status = await child.wait(timeout: timeout) else {
            child.signal(SIGKILL)
            _ = await child.wait(timeout: .seconds(10))
            throw ChildFailure(message: "\(child.command) did not finish within \(timeout)")
        }
        return Finished(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// Starts the process; returns once it runs.
    public static func start(
        _ executable: String, _ arguments: [String], input: String = "", environment: [String: String] = [:]
    ) async throws -> Child {
        let child = Child(command: ([(executable as NSString).lastPathComponent] + arguments).joined(separator: " "))
        let (started, signalStarted) = AsyncStream<Result<Void, any Error>>.makeStream()
        var overrides: [Environment.Key: String?] = [:]
        for (name, value) in environment { overrides[Environment.Key(stringLiteral: name)] = value }
        let environment = Environment.inherit.updating(overrides)
        Task {
            var status: Int32 = -1
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), environment: environment, input: .string(input),
                    output: .sequence, error: .sequence
                ) { execution in
                    child.state.withLock { $0.pid = execution.processIdentifier.value }
                    signalStarted.yield(.success(()))
                    async let out: Void = child.collect(execution.standardOutput, toStandardError: false)
                    async let err: Void = child.collect(execution.standardError, toStandardError: true)
                    _ = try await (out, err)
                }
                switch result.terminationStatus {
                case .exited(let code): status = code
                case .signaled(let signal): status = -signal
                }
            } catch {
                signalStarted.yield(.failure(error))
            }
            child.state.withLock { $0.status = status }
            signalStarted.finish()
        }
        for await outcome in started {
            try outcome.get()
            return child
        }
        throw ChildFailure(message: "\(executable) did not start")
    }

    private func collect(_ output: SubprocessOutputSequence, toStandardError: Bool) async throws {
        for try await chunk in output {
            chunk.withUnsafeBytes { bytes in
                state.withLock { state in
                    if toStandardError { state.stderr.append(contentsOf: bytes) } else { state.stdout.append(contentsOf: bytes) }
                }
            }
        }
    }

    public var pid: pid_t { state.withLock { $0.pid } }
    /// The exit status once it has exited (a signal's number negated), nil before.
    public var exitStatus: Int32? { state.withLock { $0.status } }
    public var stdout: String { state.withLock { String(decoding: $0.stdout, as: UTF8.self) } }
    public var stderr: String { state.withLock { String(decoding: $0.stderr, as: UTF8.self) } }

    /// Sends a signal unless the process has exited (its pid is not reaped before then).
    public func signal(_ number: Int32) {
        state.withLock { state in
            if state.status == nil, state.pid > 0 { kill(state.pid, number) }
        }
    }

    /// The exit status, or nil when the process still runs after `timeout`.
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return exitStatus
    }

    deinit {
        signal(SIGKILL)
    }
}

public struct ChildFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
