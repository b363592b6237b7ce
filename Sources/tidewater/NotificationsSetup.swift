import Foundation
import Logging
import ServiceLifecycle
import TideFeed
import TideIdentity
import TideModel
import TideNotificationProviders
import TideNotifications
import TideSchema
import TideStore

/// `serve --notifications FILE`: the rules file checked before anything listens, then the
/// fan-out (a feed consumer) and the sender, handed to the server to run beside it.
struct NotificationsSetup {
    let configuration: NotificationConfiguration
    let providers: ProviderSet

    /// Loads and checks the rules file and builds the providers; problems print as
    /// `FILE:LINE: reason` (or `FILE: provider: reason`) on stderr and exit 1.
    static func load(path: String, schemaPath: String) throws -> NotificationsSetup {
        let schema: AppSchema
        do {
            schema = try SchemaLoader.load(path: schemaPath)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCodeError.failure
        }
        do {
            let configuration = try NotificationConfiguration.load(path: path, schema: schema)
            do {
                return NotificationsSetup(configuration: configuration, providers: try ProviderSet(configuration.providers))
            } catch {
                FileHandle.standardError.write(Data("\(path): \(error)\n".utf8))
                throw ExitCodeError.failure
            }
        } catch let error as RulesFileError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCodeError.failure
        }
    }

    /// The endpoint and opt-out operations' directory over the notification store.
    func endpoints(_ ledger: NotificationStore) -> NotificationEndpoints {
        NotificationEndpoints(store: ledger, configuration: configuration)
    }

    /// The fan-out's runner and the sender, over the notification store (`<data>/notifications.sqlite`).
    func services(store: Store, ledger: NotificationStore, identity: IdentityService, logger: Logger)
        -> (consumer: FeedConsumerRunner, sender: NotificationSender)
    {
        let directory = IdentityGroups(identity: identity)
        let sender = NotificationSender(
            store: ledger, rules: configuration.rules, providers: providers, directory: directory, logger: logger)
        let fanout = NotificationFanout(
            rules: configuration.rules, store: ledger, directory: directory, logger: logger, onEnqueue: { sender.wake() })
        return (FeedConsumerRunner(consumer: fanout, store: store, logger: logger), sender)
    }
}

/// Group members from the identity store, asked when deliveries are made and when they are sent.
struct IdentityGroups: RecipientDirectory {
    let identity: IdentityService

    func members(ofGroup group: String) async throws -> [String] {
        try identity.users().filter { $0.groups.contains(group) }.map(\.id)
    }
}

/// Exit 1 after the message was printed.
enum ExitCodeError: Error {
    case failure
}
