import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
import TideCrypto
import TideFeed
import TideGraphQL
import TideIdentity
import TideModel
import TideSchema
import TideStore

/// Why the server could not start; each case prints as a message for the operator.
public enum ServerStartupError: Error, CustomStringConvertible {
    case schema(SchemaLoadError)
    case incompatibleData([String])
    case invalidKeyFile(String, String)
    case store(StoreError)
    case identity(IdentityError)
    case dataFolder(DataFolderLock.Failure)

    public var description: String {
        switch self {
        case .schema(let error): "\(error)"
        case .incompatibleData(let problems):
            "The data folder cannot follow this schema change:\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .invalidKeyFile(let path, let reason): "Key file \(path): \(reason)"
        case .store(let error): "Could not open the store: \(error)"
        case .identity(let error): "Could not open the identity store: \(error)"
        case .dataFolder(let failure): "\(failure)"
        }
    }
}

/// The `tidewater` server: schema → store → GraphQL engine → HTTP, with maintenance.
///
/// ```swift
/// var configuration = ServerConfiguration()
/// configuration.port = 0
/// let server = try TidewaterServer(configuration: configuration)
/// try await server.run { port in print("listening on \(port)") }
/// ```
public struct TidewaterServer: Sendable {
    public let configuration: ServerConfiguration
    public let store: Store
    public let engine: GraphQLEngine
    /// Users, sessions, access tokens and API keys over `<data>/identity.sqlite`.
    public let identity: IdentityService
    /// The change-feed consumers that run beside the server (ARCHITECTURE §10).
    public let consumers: [FeedConsumerRunner]
    /// The annotated SDL the server runs, served as `GET /schema` for clients that mirror it.
    public let schemaSource: String
    let metrics: ServerMetrics
    let logger: Logger
    /// Held while this value lives: no second server or restore takes the folder meanwhile.
    let folderLock: DataFolderLock

    /// Loads the schema, opens (and migrates) the store and builds the engine; throws
    /// `ServerStartupError` before anything listens.
    ///
    /// - Parameter endpoints: opens the notification endpoints' directory in the data folder
    ///   (called once the folder is locked), which adds the endpoint and opt-out operations to
    ///   the API (ARCHITECTURE §10.2); nil (the default) leaves them out. The executable wires
    ///   the notification store this way, so the server does not depend on it.
    public init(
        configuration: ServerConfiguration, logger: Logger = Logger(label: "tidewater"),
        endpoints openEndpoints: (_ dataDirectory: String) throws -> (any EndpointDirectory)? = { _ in nil }
    ) throws {
        self.configuration = configuration
        self.logger = logger
        let schema: AppSchema
        do {
            // Read once: the text that is parsed is the text `GET /schema` serves.
            schemaSource = try SchemaLoader.read(path: configuration.schemaPath)
            schema = try SchemaLoader.load(source: schemaSource, file: configuration.schemaPath)
        } catch {
            throw ServerStartupError.schema(error)
        }
        do {
            folderLock = try DataFolderLock(directory: configuration.dataDirectory)
        } catch {
            throw ServerStartupError.dataFolder(error)
        }
        var storeConfiguration = StoreConfiguration(directory: configuration.dataDirectory, durability: configuration.durability)
        storeConfiguration.tombstoneRetentionSeconds = configuration.tombstoneRetentionSeconds
        storeConfiguration.feedRetentionSeconds = configuration.feedRetentionSeconds
        do {
            store = try Store(schema: schema, configuration: storeConfiguration, logger: logger)
        } catch let error as StoreError {
            if case .incompatibleSchema(let problems) = error { throw ServerStartupError.incompatibleData(problems) }
            throw ServerStartupError.store(error)
        }
        let key = try KeyFile.loadOrCreate(
            named: "page-token", in: configuration.dataDirectory, length: MessageAuthenticator.keyLength)
        // The search index follows the feed beside the server; the engine reaches it only
        // through the SearchService seam.
        var consumers: [FeedConsumerRunner] = []
        var search: (any SearchService)?
        if schema.models.contains(where: { $0.searchableFields != nil }) {
            do {
                let indexer = try SearchIndexer(store: store, schema: schema, directory: configuration.dataDirectory, logger: logger)
                let runner = FeedConsumerRunner(consumer: indexer, store: store, logger: logger)
                consumers.append(runner)
                search = FullTextSearch(store: store, indexer: indexer, runner: runner)
            } catch let error as StoreError {
                throw ServerStartupError.store(error)
            }
        }
        self.consumers = consumers
        engine = try GraphQLEngine(
            schema: schema, store: store, pageTokenKey: key, limits: configuration.limits, search: search,
            endpoints: try openEndpoints(configuration.dataDirectory), introspection: configuration.introspection,
            logger: logger)
        metrics = ServerMetrics()
        do {
            identity = try IdentityService(
                dataDirectory: configuration.dataDirectory, configuration: configuration.identity, logger: logger)
        } catch {
            throw ServerStartupError.identity(error)
        }
    }

    /// Serves until SIGTERM/SIGINT, then stops accepting, finishes in-flight requests and
    /// closes the store cleanly. `onListening` receives the bound port.
    ///
    /// - Parameters:
    ///   - consumers: more feed consumers to run beside the built-in ones (the executable wires
    ///     the notification fan-out this way, so the server does not depend on it); their lag
    ///     shows in `/metrics`.
    ///   - services: more services to run until shutdown, stopped before the consumers (the
    ///     notification sender).
    ///   - metrics: more samples for `/metrics`, read at each scrape (the notification sender's).
    public func run(
        consumers extraConsumers: [FeedConsumerRunner] = [], services extraServices: [any Service] = [],
        metrics metricsSources: [MetricsSource] = [],
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let consumers = consumers + extraConsumers
        let router = Router(context: TidewaterRequestContext.self)
        router.middlewares.add(ProblemMiddleware())
        let authenticate: Authenticate = { [identity] credentials throws(AuthenticationFailure) in
            do throws(IdentityError) {
                switch credentials {
                case .none: return AuthenticatedCaller(principal: .anonymous)
                case .bearer(let token):
                    let verified = try identity.verify(bearer: token)
                    return AuthenticatedCaller(principal: .user(verified.user), expiresAt: verified.expiresAt)
                case .apiKey(let key): return AuthenticatedCaller(principal: try identity.authenticate(apiKey: key))
                }
            } catch .unauthenticated(let reason) {
                throw AuthenticationFailure(reason)
            } catch {
                throw AuthenticationFailure("The credentials could not be verified.")
            }
        }
        let standing: @Sendable (UserIdentity) -> UserStanding = { [identity, logger] user in
            do throws(IdentityError) {
                guard let current = try identity.currentUser(id: user.id) else { return .removed }
                return Set(current.groups) == Set(user.groups) ? .unchanged : .regrouped(current)
            } catch {
                // Acting on what the token says is what an HTTP request with it would do.
                logger.error("could not look up a user's standing", metadata: ["error": "\(error)"])
                return .unchanged
            }
        }
        let admission = Admission(
            authenticate: authenticate, authLimiter: configuration.authRateLimit.map { RateLimiter(limit: $0) },
            graphQLLimiter: configuration.graphQLRateLimit.map { RateLimiter(limit: $0) }, trustProxy: configuration.trustProxy,
            metrics: metrics)
        let endpoints: [String: any DirectEndpoint] = [
            "/graphql": GraphQLEndpoint(engine: engine, metrics: metrics),
            "/healthz": HealthEndpoint(),
        ]
        OperationalRoutes(store: store, metrics: metrics, consumers: consumers, sources: metricsSources, schemaSource: schemaSource)
            .register(on: router)
        AuthRoutes(identity: identity).register(on: router)

        let hub = FeedHub(store: store, maxFrameBytes: configuration.realtime.maxMessageBytes, logger: logger)
        let realtime = RealtimeEnvironment(
            engine: engine, store: store, hub: hub, authenticate: authenticate, standing: standing,
            configuration: configuration.realtime,
            connections: CallerConnections(limit: configuration.realtime.maxConnectionsPerCaller),
            admission: admission, metrics: metrics, now: identity.configuration.now, logger: logger)
        let responder = router.buildResponder()
        let connections = OpenConnections()
        let app = Application(
            responder: responder,
            // Hummingbird's per-connection responder goes unused: HTTPExchangeHandler runs the router itself.
            server: HTTPServerBuilder { [configuration] _ in
                ServerConnectionChannel(
                    router: { request, context in try await responder.respond(to: request, context: context) },
                    admission: admission, endpoints: endpoints, maxBodyBytes: configuration.maxBodyBytes, idleTimeout: configuration.httpIdleTimeout,
                    environment: realtime, trustProxy: configuration.trustProxy, connections: connections)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger
        )
        let maintenance = MaintenanceService(
            store: store, metrics: metrics, interval: configuration.maintenanceIntervalSeconds, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                // Stopped in reverse order: the server first, the consumers last (their final
                // checkpoints are saved before the store closes).
                services: consumers.map { .init(service: $0) } + extraServices.map { .init(service: $0) } + [
                    .init(service: maintenance),
                    .init(service: hub),
                    .init(
                        service: CredentialWatcher(
                            identity: identity, hub: hub, interval: configuration.realtime.credentialCheckInterval, logger: logger)),
                    .init(
                        service: BoundedShutdown(
                            server: app, connections: connections, timeout: configuration.shutdownTimeout, logger: logger)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            ))
        defer { store.close() }
        defer { identity.close() }
        try await group.run()
        logger.info("stopped")
    }
}
