import ArgumentParser
import Foundation
import TideModel
import TideScenario

struct Scenario: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a scripted multi-client scenario (docs/CLIENT.md): exit 0 when every assertion holds, 1 on the first that fails, 2 for a malformed file.")

    @Argument(help: "The scenario file (YAML).") var file: String
    @Option(help: "The server (default: the file's `server:`, else $TIDE_SERVER).") var server: String?
    @Flag(help: "Keep the clients' profiles (printed at the end) instead of deleting them.") var keep = false

    func run() async throws {
        let scenario: ScenarioFile
        let run = ScenarioRunner.newRunID()
        do {
            scenario = try ScenarioFile.load(path: file, run: run)
        } catch {
            throw CLIFailure.usage(error.description)
        }
        let given = server ?? scenario.server ?? ProcessInfo.processInfo.environment["TIDE_SERVER"]
        guard let given else {
            throw CLIFailure.usage("\(file): no server: give --server URL, `server:` in the file, or TIDE_SERVER")
        }
        let runner = ScenarioRunner(scenario: scenario, server: try serverURL(given), tide: ScenarioRunner.currentExecutable, run: run, keepProfiles: keep)
        let result = await runner.run { step in
            if !Output.json { Output.note(Output.dim("  \(step)")) }
        }
        switch result {
        case .passed(let steps, let seconds):
            if Output.json {
                Output.printJSON(["scenario": .string(scenario.name), "passed": true, "steps": .int(Int64(steps))])
            } else {
                Output.line("\(Output.colour("passed", 32)) \(scenario.name) (\(steps) steps, \(String(format: "%.1f", seconds)) s)")
            }
        case .failed(let message):
            if Output.json { Output.printJSON(["scenario": .string(scenario.name), "passed": false, "failure": .string(message)]) }
            throw CLIFailure.failed(message)
        }
    }
}
