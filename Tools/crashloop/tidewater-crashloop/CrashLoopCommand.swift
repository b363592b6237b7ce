import ArgumentParser
import Foundation
import TideCrashLoop

/// `tidewater-crashloop`: SIGKILL a real server under writes, again and again, and check after
/// every restart that nothing acknowledged was lost (Tools/crashloop/README.md).
@main
struct CrashLoopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidewater-crashloop",
        abstract: "Kill tidewater with SIGKILL under concurrent writes and check every acknowledged write after each restart.")

    @Option(help: "How many times the server is killed.")
    var iterations = 20

    @Option(help: "The seed of the kill moments and the writers' choices (default: random, printed).")
    var seed: UInt64?

    @Option(help: "Concurrent writers per user and model (two users, two models).")
    var writers = 2

    @Option(help: "Milliseconds of load before a kill at most (the kill comes between a tenth of it and all of it).")
    var maxLoadMs = 2_000

    @Option(help: "The schema to serve (must have Note and Post as in Schema/example.graphql).")
    var schema = "Schema/example.graphql"

    func run() async throws {
        let options = CrashLoopOptions(
            iterations: iterations, seed: seed ?? UInt64.random(in: 0...UInt64(UInt32.max)), writersPerModel: writers,
            maxLoad: .milliseconds(maxLoadMs), schema: schema, log: { print($0) })
        let summary = try await CrashLoop.run(options)
        print(summary)
        if !summary.passed { throw ExitCode.failure }
    }
}
