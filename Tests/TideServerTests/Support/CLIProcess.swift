import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a finished command printed.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `tidewater <arguments>` (the binary the server tests start) to completion, feeding
/// `input` to its stdin; killed if it runs past `timeout`.
func runTidewater(_ arguments: [String], input: String? = nil, timeout: Duration = .seconds(60)) async throws -> CLIResult {
    try await runProcess(ServerProcess.binary, arguments, input: input, timeout: timeout)
}

/// Runs a program to completion, feeding `input` to its stdin and collecting its output as it
/// is written (so a long output cannot block it); killed if it runs past `timeout`.
func runProcess(
    _ executable: URL, _ arguments: [String], input: String? = nil, timeout: Duration = .seconds(60)
) async throws -> CLIResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = PipeCollector()
    let stderr = PipeCollector()
    process.standardInput = stdin
    process.standardOutput = stdout.pipe
    process.standardError = stderr.pipe
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()

    let deadline = ContinuousClock.now + timeout
    let command = ([executable.lastPathComponent] + arguments).joined(separator: " ")
    while process.isRunning || !stdout.ended || !stderr.ended {
        guard ContinuousClock.now < deadline else {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("\(command) did not finish within \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return CLIResult(status: process.terminationStatus, stdout: stdout.text, stderr: stderr.text)
}

/// A pipe for a child process's output, read as it is written: a child writing more than a
/// pipe holds would otherwise block until someone reads. Keeps the last `limit` bytes.
final class PipeCollector: Sendable {
    private struct State {
        var data = Data()
        var ended = false
    }

    let pipe = Pipe()
    private let state = Mutex(State())

    init(limit: Int = .max) {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            guard let self else { handle.readabilityHandler = nil; return }
            self.state.withLock {
                if chunk.isEmpty {
                    $0.ended = true
                } else {
                    $0.data.append(chunk)
                    if $0.data.count > limit { $0.data.removeFirst($0.data.count - limit) }
                }
            }
            if chunk.isEmpty { handle.readabilityHandler = nil }
        }
    }

    /// What was written so far.
    var text: String { state.withLock { String(decoding: $0.data, as: UTF8.self) } }
    /// Whether every writer has closed the pipe.
    var ended: Bool { state.withLock { $0.ended } }
}
