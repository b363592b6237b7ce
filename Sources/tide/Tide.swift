import ArgumentParser
import Foundation
import TideClient

/// `tide`: the terminal client (ARCHITECTURE §9.2). Global options go before or after the
/// command: `--profile DIR` (default `$TIDE_PROFILE`, else `~/.tide`) and `--json`.
///
/// Exit codes: 0 success, 1 the operation or an assertion failed, 2 usage error (bad
/// arguments, malformed JSON, a value of the wrong type, a malformed scenario file), 3 server
/// unreachable, 4 not signed in or credentials refused. Errors are one line on stderr.
@main
struct Tide: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tide",
        abstract: "The Tidewater terminal client: a local copy of your data that works offline and syncs.",
        discussion: "Global options (before or after the command): --profile DIR (default $TIDE_PROFILE, else ~/.tide), --json.",
        subcommands: [
            SignUp.self, LogIn.self, LogOut.self, StatusCommand.self, Save.self, Delete.self, Get.self, Query.self,
            Sync.self, Offline.self, Online.self, Watch.self, Outbox.self, Conflicts.self, Keys.self, Scenario.self,
        ])

    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let (globals, rest) = GlobalOptions.extract(arguments)
        GlobalOptions.current = globals
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(rest)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            Output.error(message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments")
            Foundation.exit(2)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var sync = command
                try sync.run()
            }
            Foundation.exit(0)
        } catch {
            Foundation.exit(CLIFailure.report(error))
        }
    }
}

/// A failure with its exit code, reported as one line.
struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var code: Int32

    static func usage(_ message: String) -> CLIFailure { CLIFailure(message: message, code: 2) }
    static func failed(_ message: String) -> CLIFailure { CLIFailure(message: message, code: 1) }

    var description: String { message }

    /// Prints `error` on stderr and returns its exit code.
    static func report(_ error: any Error) -> Int32 {
        switch error {
        case let failure as CLIFailure:
            Output.error(failure.message)
            return failure.code
        case let client as TideClientError:
            Output.error(client.description)
            switch client.kind {
            case .badInput: return 2
            case .notSignedIn: return 4
            case .unreachable: return 3
            case .failed: return 1
            }
        case let exit as ExitCode:
            return exit.rawValue
        default:
            Output.error("\(error)")
            return 1
        }
    }
}

/// `--profile` and `--json`, accepted anywhere on the command line.
struct GlobalOptions: Sendable {
    var profile: URL
    var json: Bool

    nonisolated(unsafe) static var current = GlobalOptions(profile: defaultProfile, json: false)
    // nonisolated(unsafe): set once in main before any command runs, read-only afterwards.

    static var defaultProfile: URL {
        if let path = ProcessInfo.processInfo.environment["TIDE_PROFILE"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".tide")
    }

    /// Takes the global options out of `arguments`; the rest goes to the command parser.
    static func extract(_ arguments: [String]) -> (GlobalOptions, [String]) {
        var options = GlobalOptions(profile: defaultProfile, json: false)
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                rest += arguments[index...]
                break
            } else if argument == "--json" {
                options.json = true
            } else if argument == "--profile", index + 1 < arguments.count {
                options.profile = URL(fileURLWithPath: arguments[index + 1])
                index += 1
            } else if argument.hasPrefix("--profile=") {
                options.profile = URL(fileURLWithPath: String(argument.dropFirst("--profile=".count)))
            } else {
                rest.append(argument)
            }
            index += 1
        }
        return (options, rest)
    }
}
