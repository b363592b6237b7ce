import ArgumentParser
import Foundation
import TideSim

/// `tide-sim`: `tide` clients against a real server through seeded schedules of offline/online,
/// concurrent edits, deletes, SIGKILLs and server restarts, each run checked for convergence,
/// lost writes and wedged outboxes (Tools/sim/README.md).
@main
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tide-sim",
        abstract: "Run tide clients against a real tidewater through seeded schedules and check that they converge and lose nothing.")

    @Option(help: "Run seeds 1 through N.")
    var seeds: Int?

    @Option(help: "Run (replay) this one seed.")
    var seed: UInt64?

    @Option(help: "tide clients (devices of two users from 3 on).")
    var clients = 4

    @Option(help: "Steps per seed.")
    var steps = 40

    @Option(help: "The tide executable (default: $TIDE_BIN, else .build/debug/tide).")
    var tide: String?

    @Flag(help: "Print the schedule and exit, running nothing.")
    var printSchedule = false

    @Flag(help: "Print each step as it runs.")
    var verbose = false

    func validate() throws {
        guard (seeds == nil) != (seed == nil) else { throw ValidationError("give either --seeds N or --seed S") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        guard clients >= 1, clients <= 16 else { throw ValidationError("--clients must be between 1 and 16") }
        guard steps >= 0 else { throw ValidationError("--steps must not be negative") }
    }

    func run() async throws {
        let list: [UInt64] = seed.map { [$0] } ?? (1...UInt64(seeds ?? 1)).map { $0 }
        if printSchedule {
            for seed in list {
                say("seed \(seed):")
                for (index, step) in Schedule(seed: seed, clients: clients, steps: steps).steps.enumerated() { say("  \(index): \(step)") }
            }
            return
        }
        let tidePath = tide ?? SimOptions.defaultTide
        guard FileManager.default.isExecutableFile(atPath: tidePath) else {
            throw ValidationError("no tide executable at \(tidePath): swift build --product tide --product tidewater")
        }
        var failed: [SeedResult] = []
        for seed in list {
            let result = await Simulator.run(
                SimOptions(seed: seed, clients: clients, steps: steps, tide: tidePath, verbose: verbose) { say($0) })
            say(result.description)
            if !result.passed {
                for problem in result.problems { say("  - \(problem)") }
                if let kept = result.keptAt { say("  profiles, data and server log kept in \(kept)") }
                say("  replay: \(replay(seed))")
                failed.append(result)
            }
        }
        if list.count > 1 {
            say("\(list.count - failed.count) of \(list.count) seeds passed" + (failed.isEmpty ? "" : "; failed: \(failed.map { String($0.seed) }.joined(separator: " "))"))
        }
        if !failed.isEmpty { throw ExitCode.failure }
    }

    private func replay(_ seed: UInt64) -> String {
        ".build/debug/tide-sim --seed \(seed) --clients \(clients) --steps \(steps)" + (tide.map { " --tide \($0)" } ?? "")
    }
}

/// Writes a line to stdout at once (`print` holds lines back when stdout is a pipe or a file:
/// a long run shows each seed as it ends).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
