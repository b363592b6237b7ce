import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TideFeed
import TideGraphQL
import TideModel
import TideNotifications
import TideSchema
import TideServer
import TideStore

@main
struct Tidewater: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidewater",
        abstract: "Tidewater: an offline-first GraphQL backend over SQLite.",
        subcommands: [
            Serve.self, SchemaCommand.self, UsersCommand.self, APIKeysCommand.self, KeysCommand.self, SearchCommand.self,
            BackupCommand.self, RestoreCommand.self, DeliveriesCommand.self, EndpointsCommand.self,
        ]
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the GraphQL API for a schema.")

    @Option(help: "The annotated schema (SDL). Default: Schema/example.graphql")
    var schema: String?
    @Option(help: "The data folder. Default: ./tidewater-data")
    var data: String?
    @Option(help: "Address to listen on. Default: 127.0.0.1")
    var host: String?
    @Option(help: "Port to listen on; 0 picks a free one. Default: 4000")
    var port: Int?
    @Option(help: "full (fsync every commit, the default) or normal.")
    var durability: Durability?
    @Option(help: "A JSON configuration file; command-line options override it.")
    var config: String?
    @Flag(help: "Behind a reverse proxy: take the client address from the last X-Forwarded-For entry.")
    var trustProxy = false
    @Option(help: "Requests per client address on /auth/*, e.g. 30/min (the default), or off.")
    var authRateLimit: RateLimitSetting?
    @Option(help: "Requests per user, API key or anonymous address on /graphql, e.g. 100/s (the default), or off.")
    var graphqlRateLimit: RateLimitSetting?
    @Option(help: "Seconds an HTTP connection may send nothing while no request on it is being answered. Default: 60")
    var httpIdleTimeout: Double?
    @Option(help: "Who may introspect the schema: public, authenticated (a token or an API key; the default) or off.")
    var introspection: IntrospectionAccess?
    @Option(help: "Seconds requests in flight and WebSockets get to finish after SIGTERM or SIGINT, before the connections still open are closed. Default: 25")
    var shutdownTimeout: Double?
    @Option(help: "WebSocket: seconds a new socket may take to send connection_init. Default: 10")
    var wsInitTimeout: Double?
    @Option(help: "WebSocket: seconds between the server's protocol pings; 0 turns them off. Default: 30")
    var wsPingInterval: Double?
    @Option(help: "WebSocket: feed entries a connection may be handed while its socket takes no more data, before it is closed (4413). Default: 1024")
    var wsQueueCapacity: Int?
    @Option(help: "WebSocket: connections per user, API key or anonymous address. Default: 16")
    var wsMaxConnections: Int?
    @Option(help: "WebSocket: subscriptions and running operations per connection. Default: 100")
    var wsMaxOperations: Int?
    @Option(help: "A notification rules file (docs/NOTIFICATIONS.md): push, email, SMS and webhooks from data changes.")
    var notifications: String?

    func validate() throws {
        if let httpIdleTimeout, !(httpIdleTimeout > 0) {
            throw ValidationError("--http-idle-timeout must be a positive number of seconds.")
        }
        if let shutdownTimeout, !(shutdownTimeout >= 0) {
            throw ValidationError("--shutdown-timeout must be a number of seconds, 0 or more.")
        }
    }

    func run() async throws {
        // Run Swift concurrency on NIO's event loops, so a request never hops between the I/O
        // threads and the cooperative pool (+25-45 % req/s, see docs/BENCHMARKS.md). Installed
        // before the server creates any task; once per process.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        var configuration = ServerConfiguration()
        if let config {
            do {
                try ConfigFile.apply(path: config, to: &configuration)
            } catch {
                FileHandle.standardError.write(Data("tidewater: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        if let schema { configuration.schemaPath = schema }
        if let data { configuration.dataDirectory = data }
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if let durability { configuration.durability = durability }
        if trustProxy { configuration.trustProxy = true }
        if let authRateLimit { configuration.authRateLimit = authRateLimit.limit }
        if let graphqlRateLimit { configuration.graphQLRateLimit = graphqlRateLimit.limit }
        if let httpIdleTimeout { configuration.httpIdleTimeout = .milliseconds(Int64(httpIdleTimeout * 1000)) }
        if let introspection { configuration.introspection = introspection }
        if let shutdownTimeout { configuration.shutdownTimeout = .milliseconds(Int64(shutdownTimeout * 1000)) }
        if let wsInitTimeout { configuration.realtime.initTimeout = .milliseconds(Int64(wsInitTimeout * 1000)) }
        if let wsPingInterval {
            configuration.realtime.pingInterval = wsPingInterval > 0 ? .milliseconds(Int64(wsPingInterval * 1000)) : nil
        }
        if let wsQueueCapacity { configuration.realtime.queueCapacity = wsQueueCapacity }
        if let wsMaxConnections { configuration.realtime.maxConnectionsPerCaller = wsMaxConnections }
        if let wsMaxOperations { configuration.realtime.maxOperationsPerConnection = wsMaxOperations }

        bootstrapLogging(defaultLevel: .info)
        // A bad rules file stops the start before anything is opened or listens.
        let setup: NotificationsSetup?
        do {
            setup = try notifications.map { try NotificationsSetup.load(path: $0, schemaPath: configuration.schemaPath) }
        } catch {
            throw ExitCode(1)
        }
        let server: TidewaterServer
        var consumers: [FeedConsumerRunner] = []
        var services: [any Service] = []
        var metrics: [MetricsSource] = []
        do {
            // The notification store opens inside the locked data folder; the engine gets its
            // endpoint operations, the fan-out and the sender share it.
            let logger = Logger(label: "tidewater.notifications")
            var ledger: NotificationStore?
            server = try TidewaterServer(configuration: configuration) { dataDirectory in
                guard let setup else { return nil }
                let store = try NotificationStore(directory: dataDirectory, logger: logger)
                ledger = store
                return setup.endpoints(store)
            }
            if let setup, let ledger {
                let (consumer, sender) = setup.services(store: server.store, ledger: ledger, identity: server.identity, logger: logger)
                consumers.append(consumer)
                services.append(sender)
                metrics.append { sender.metricsExposition() }
            }
        } catch {
            FileHandle.standardError.write(Data("tidewater: \(error)\n".utf8))
            // The providers' HTTP clients must be shut down before they go (AsyncHTTPClient
            // stops the process otherwise), also when the start fails.
            if let setup { await setup.providers.shutdown() }
            throw ExitCode(1)
        }
        let host = configuration.host
        defer { if let setup { Task { await setup.providers.shutdown() } } }
        try await server.run(consumers: consumers, services: services, metrics: metrics) { port in
            // Written unbuffered: tests and scripts wait for this line to learn the port.
            FileHandle.standardOutput.write(Data("Tidewater is serving http://\(host):\(port)/graphql\n".utf8))
        }
    }
}

extension Durability: ExpressibleByArgument {}
extension IntrospectionAccess: ExpressibleByArgument {}

/// A rate limit on the command line: `N/s`, `N/min`, `N/h`, or `off`.
struct RateLimitSetting: ExpressibleByArgument {
    var limit: RateLimit?

    init?(argument: String) {
        if argument.lowercased() == "off" {
            limit = nil
        } else if let parsed = RateLimit(parsing: argument) {
            limit = parsed
        } else {
            return nil
        }
    }
}

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema", abstract: "Check a schema or print its generated API.", subcommands: [Check.self, Print.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate an annotated schema; problems print as file:line:column: message.")
        @Argument(help: "The schema file.") var path: String

        func run() throws {
            do {
                let schema = try SchemaLoader.load(path: path)
                print("\(path): OK (\(schema.models.count) models)")
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Print: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the full client-facing SDL generated from a schema.")
        @Argument(help: "The schema file.") var path: String

        func run() throws {
            do {
                print(SDLGenerator.generate(try SchemaLoader.load(path: path)))
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }
}
