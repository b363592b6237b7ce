import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a finished `tidewater` command printed.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `tidewater <arguments>` (the binary the server tests start) to completion, feeding
/// `input` to its stdin; killed if it runs past `timeout`.
func runTidewater(_ arguments: [String], input: String? = nil, timeout: Duration = .seconds(60)) async throws -> CLIResult {
    let process = Process()
    process.executableURL = ServerProcess.binary
    process.arguments = arguments
    let stdin = Pipe()
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()

    let deadline = ContinuousClock.now + timeout
    while process.isRunning {
        guard ContinuousClock.now < deadline else {
            kill(process.processIdentifier, SIGKILL)
            throw TestFailure("tidewater \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    // Outputs are a few lines, far below a pipe's buffer, so reading after exit cannot block.
    return CLIResult(
        status: process.terminationStatus,
        stdout: String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
        stderr: String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
}
