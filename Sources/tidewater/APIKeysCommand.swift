import ArgumentParser
import Foundation
import TideIdentity

/// `tidewater apikeys create|list|revoke`.
struct APIKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikeys", abstract: "Manage API keys for public access (works while the server runs).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key and print it. It is shown this once: only its hash is stored.")
        @OptionGroup var folder: DataFolderOptions
        @Option(help: "What the key is for.") var name: String
        @Option(help: "Lifetime, like 365d, 12h, 30m or 90s. Default: never expires.") var expiresIn: Lifetime?

        func run() async throws {
            try await folder.withIdentity { identity in
                let created = try identity.createAPIKey(name: name, expiresIn: expiresIn?.duration)
                print(created.key)
                FileHandle.standardError.write(
                    Data("API key \(created.summary.id) created. Store the key now: it cannot be shown again.\n".utf8))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List API keys (never their secrets).")
        @OptionGroup var folder: DataFolderOptions

        func run() async throws {
            try await folder.withIdentity { identity in
                print(["id", "name", "created", "expires", "revoked"].joined(separator: "\t"))
                for key in try identity.apiKeys() {
                    print([key.id, key.name, formatted(key.createdAt), formatted(key.expiresAt), formatted(key.revokedAt)].joined(separator: "\t"))
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by id; a running server refuses it within about a second.")
        @OptionGroup var folder: DataFolderOptions
        @Argument(help: "The key's id (the part after tw_).") var id: String

        func run() async throws {
            try await folder.withIdentity { identity in try identity.revokeAPIKey(id: id) }
        }
    }
}

/// A lifetime argument: a positive whole number with a unit, `d`, `h`, `m` or `s`.
struct Lifetime: ExpressibleByArgument {
    let duration: Duration

    init?(argument: String) {
        guard let unit = argument.last, let count = Int64(argument.dropLast()), count > 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "d": seconds = 86_400
        case "h": seconds = 3_600
        case "m": seconds = 60
        case "s": seconds = 1
        default: return nil
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: seconds)
        guard !overflow else { return nil }
        duration = .seconds(total)
    }
}
