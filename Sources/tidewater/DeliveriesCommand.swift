import ArgumentParser
import Foundation
import TideModel
import TideNotifications

/// `tidewater deliveries list|retry`: the notification ledger (works while the server runs).
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries", abstract: "List notification deliveries, or retry a dead or unknown one.",
        subcommands: [List.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deliveries, oldest first.")
        @OptionGroup var folder: DataFolderOptions
        @Option(help: "Only this state: pending, sent, retrying, deferred, dead or unknown.") var status: DeliveryState?
        @Option(help: "Only this rule.") var rule: String?
        @Flag(help: "A JSON array instead of a table.") var json = false

        func run() async throws {
            try folder.withNotifications { store in
                let rows = try store.deliveries(state: status, rule: rule)
                if json {
                    print(JSONValue.array(rows.map(\.json)).jsonString)
                    return
                }
                print(["id", "seq", "rule", "channel", "user", "state", "attempts", "last error"].joined(separator: "\t"))
                for row in rows {
                    print(
                        [row.id, "\(row.seq)", row.rule, row.channel.rawValue, row.userId, row.progress.state.rawValue,
                         "\(row.progress.attempts)", row.progress.lastError ?? "-"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a dead or unknown delivery a fresh set of tries; a running server sends it within about a second.")
        @OptionGroup var folder: DataFolderOptions
        @Argument(help: "The delivery's id.") var id: String

        func run() async throws {
            try folder.withNotifications { store in
                guard let row = try store.delivery(id: id) else { throw AdminFailure("no delivery \(id)") }
                guard let retried = DeliveryStateMachine().operatorRetry(row.progress) else {
                    throw AdminFailure("delivery \(id) is \(row.progress.state.rawValue); only dead or unknown deliveries can be retried")
                }
                try store.update(id, retried, now: Int64(Date().timeIntervalSince1970 * 1000))
            }
        }
    }
}

/// `tidewater endpoints list`: every user's notification endpoints, for admins.
struct EndpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoints", abstract: "List users' notification endpoints.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List endpoints, oldest first.")
        @OptionGroup var folder: DataFolderOptions
        @Option(help: "Only this user's (id).") var user: String?

        func run() async throws {
            try folder.withNotifications { store in
                print(["id", "user", "channel", "platform", "address", "time zone", "enabled", "disabled reason"].joined(separator: "\t"))
                for endpoint in try store.endpoints(userId: user) {
                    print(
                        [endpoint.id, endpoint.userId, endpoint.channel.rawValue, endpoint.platform?.rawValue ?? "-", endpoint.address,
                         endpoint.timeZone ?? "-", endpoint.enabled ? "yes" : "no", endpoint.disabledReason ?? "-"].joined(separator: "\t"))
                }
            }
        }
    }
}

extension DeliveryState: ExpressibleByArgument {}

extension DeliveryRow {
    /// The row as `deliveries list --json` prints it (ARCHITECTURE §10.2).
    var json: JSONValue {
        func time(_ ms: Int64) -> JSONValue { .string(Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)) }
        return [
            "id": .string(id), "seq": .int(seq), "rule": .string(rule), "endpointId": .string(endpointId), "userId": .string(userId),
            "channel": .string(channel.rawValue), "state": .string(progress.state.rawValue), "attempts": .int(Int64(progress.attempts)),
            "lastError": progress.lastError.map(JSONValue.string) ?? .null,
            "providerMessageId": progress.providerMessageId.map(JSONValue.string) ?? .null,
            "createdAt": time(createdAt), "updatedAt": time(updatedAt),
        ]
    }
}

extension DataFolderOptions {
    /// Opens `<data>/notifications.sqlite` and runs `body`; an error prints as one line and exits 1.
    func withNotifications<T>(_ body: (NotificationStore) throws -> T) throws -> T {
        bootstrapLogging(defaultLevel: .warning)
        do {
            let store = try NotificationStore(directory: data)
            defer { store.close() }
            return try body(store)
        } catch let error as AdminFailure {
            FileHandle.standardError.write(Data("tidewater: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            FileHandle.standardError.write(Data("tidewater: \(error)\n".utf8))
            Foundation.exit(1)
        }
    }
}
