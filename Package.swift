// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "tidewater",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tidewater", targets: ["tidewater"]),
        .library(name: "TideModel", targets: ["TideModel"]),
        .library(name: "TideSchema", targets: ["TideSchema"]),
        .library(name: "TideSQLite", targets: ["TideSQLite"]),
        .library(name: "TideStore", targets: ["TideStore"]),
        .library(name: "TideGraphQL", targets: ["TideGraphQL"]),
        .library(name: "TideIdentity", targets: ["TideIdentity"]),
        .library(name: "TideFeed", targets: ["TideFeed"]),
        .library(name: "TideServer", targets: ["TideServer"]),
        .library(name: "TideClient", targets: ["TideClient"]),
        .executable(name: "tide", targets: ["tide"]),
        .library(name: "TideFilterPolicy", targets: ["TideFilterPolicy"]),
        .library(name: "TideNotifications", targets: ["TideNotifications"]),
        .library(name: "TideNotificationProviders", targets: ["TideNotificationProviders"]),
        .library(name: "TideBackup", targets: ["TideBackup"]),
    ],
    dependencies: [
        .package(url: "https://github.com/GraphQLSwift/GraphQL.git", from: "4.3.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // Child processes without Foundation's descriptor leaks: the tests' servers, the `tide`
        // runs of a scenario.
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        // The client library's HTTP transport, and the tests' HTTP client.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // The client library's local store (DatabasePool, ValueObservation).
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The client library's WebSocket (graphql-transport-ws) transport.
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        // Notifications: the rules file (YAML with node marks and duplicate-key errors), templates,
        // provider tokens (RS256, ES256, HMAC) and the SMTP client's TLS; `tide scenario` files (Yams).
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // System libraries (Debian: libsqlite3-dev, libsodium-dev).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),

        // Shared, dependency-light vocabulary: JSON values, the app-schema description,
        // filter expressions and their evaluator, custom scalar formats.
        .target(name: "TideModel", swiftSettings: swiftSettings),
        // Annotated SDL → AppSchema; generated client-facing SDL.
        .target(
            name: "TideSchema",
            dependencies: ["TideModel", .product(name: "GraphQL", package: "GraphQL")],
            swiftSettings: swiftSettings
        ),
        // libsodium wrappers: keyed MACs for opaque tokens, Argon2id passwords, Ed25519 JWTs, refresh tokens,
        // and end-to-end field encryption (data keys, key envelopes, tw1 field envelopes, blind indexes).
        .target(name: "TideCrypto", dependencies: ["CSodium", "TideModel"], swiftSettings: swiftSettings),
        // The SQLite layer: connections with cached statements, transactions, a reader pool,
        // migrations as data. Every database file of ours is opened through it.
        .target(
            name: "TideSQLite",
            dependencies: ["CSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Amazon SNS filter policies (message-body scope) over JSON events: the notification rules' filters.
        .target(name: "TideFilterPolicy", dependencies: ["TideModel"], swiftSettings: swiftSettings),
        // Notification fan-out: the rules file, templates, rate caps and quiet hours, endpoints, the
        // delivery ledger and the provider protocol (a feed consumer: Store and Model, never GraphQL).
        .target(
            name: "TideNotifications",
            dependencies: [
                "TideModel", "TideFilterPolicy", "TideStore", "TideSQLite", "TideFeed",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The providers behind NotificationProvider: FCM HTTP v1, APNs (HTTP/2), SMTP, Twilio-style
        // SMS, webhooks. Apart from TideNotifications so that its HTTP/TLS stack weighs only here.
        .target(
            name: "TideNotificationProviders",
            dependencies: [
                "TideNotifications", "TideModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Versioned SQLite store: migrations, single writer with group commit, change feed, TTL.
        .target(
            name: "TideStore",
            dependencies: ["TideModel", "TideSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Users, groups, sessions, access tokens, API keys and signing keys: their tables
        // (<data>/identity.sqlite, on TideSQLite) and the policy over them and TideCrypto's primitives.
        .target(
            name: "TideIdentity",
            dependencies: [
                "TideModel", "TideCrypto", "TideSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // Change-feed consumers: the framework (checkpoints, batches, wake-up on commit, lag,
        // retention hold) and the consumers built on it. Uses the store and the model, never GraphQL.
        .target(
            name: "TideFeed",
            dependencies: [
                "TideModel", "TideStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Backup and restore of a whole data folder: online SQLite copies + keys in one tar archive.
        .target(
            name: "TideBackup",
            dependencies: ["TideSQLite", "TideStore", "CSodium"],
            swiftSettings: swiftSettings
        ),
        // Our GraphQL engine for the generated API: compile + cache documents, execute over the store.
        .target(
            name: "TideGraphQL",
            dependencies: [
                "TideModel", "TideSchema", "TideStore", "TideCrypto",
                .product(name: "GraphQL", package: "GraphQL"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP server: routes, limits, metrics, lifecycle.
        .target(
            name: "TideServer",
            dependencies: [
                "TideGraphQL", "TideSchema", "TideStore", "TideCrypto", "TideIdentity", "TideFeed",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Field-encryption throughput (docs/ENCRYPTION.md, "Benchmark").
        .executableTarget(
            name: "tide-crypto-bench", dependencies: ["TideCrypto"], path: "Tools/crypto-bench",
            swiftSettings: swiftSettings
        ),
        // The client library's figures (Tools/client-bench/README.md): catch-up, drain, local queries, RSS.
        .executableTarget(
            name: "tide-client-bench",
            dependencies: [
                "TideClient", "TideModel", "TideCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tools/client-bench", exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tidewater",
            dependencies: [
                "TideServer", "TideSchema", "TideIdentity", "TideFeed", "TideStore", "TideModel", "TideBackup",
                "TideGraphQL", "TideNotifications", "TideNotificationProviders",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // What several test targets share: child processes, bounded waits, real `tidewater serve`
        // processes and an HTTP/GraphQL client for them, the notification receivers.
        .target(
            name: "TideTestSupport",
            dependencies: [
                "TideModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Tests/TideTestSupport",
            swiftSettings: swiftSettings
        ),
        // The offline-first client library: local store, outbox, sync engine, conflicts. Knows the
        // server only through the wire contract (never TideStore, TideGraphQL, TideServer, TideIdentity).
        .target(
            name: "TideClient",
            dependencies: [
                "TideModel", "TideSchema", "TideCrypto",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `tide scenario`: YAML scenarios of several clients, each step a run of `tide`.
        .target(
            name: "TideScenario",
            dependencies: [
                "TideModel",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: swiftSettings
        ),
        // The terminal client (ARCHITECTURE §9.2).
        .executableTarget(
            name: "tide",
            dependencies: [
                "TideClient", "TideScenario", "TideModel", "TideCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The crash loop (Tools/crashloop/README.md): writers of two users, SIGKILL at seeded
        // random moments, and after each restart the checks of what was acknowledged. The tool
        // runs it long; TideServerTests runs a few iterations.
        .target(
            name: "TideCrashLoop",
            dependencies: ["TideTestSupport", "TideModel", "TideSQLite"],
            path: "Tools/crashloop/TideCrashLoop",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tidewater-crashloop",
            dependencies: ["TideCrashLoop", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/crashloop/tidewater-crashloop",
            swiftSettings: swiftSettings
        ),
        // The sync simulator (Tools/sim/README.md): `tide` clients against a real server through a
        // seeded schedule of writes, link changes, SIGKILLs and server restarts, then checked for
        // convergence, lost writes and wedged outboxes. The tool runs many seeds; TideClientTests a few.
        .target(
            name: "TideSim",
            dependencies: ["TideTestSupport", "TideScenario", "TideModel"],
            path: "Tools/sim/TideSim",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tide-sim",
            dependencies: ["TideSim", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tools/sim/tide-sim",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TideModelTests", dependencies: ["TideModel"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TideFilterPolicyTests", dependencies: ["TideFilterPolicy", "TideModel"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TideNotificationsTests",
            dependencies: ["TideNotifications", "TideFilterPolicy", "TideModel", "TideSchema", "TideStore"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TideNotificationProvidersTests",
            dependencies: [
                "TideNotificationProviders", "TideNotifications", "TideModel", "TideTestSupport", "TideStore", "TideFeed",
                "TideSchema",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "TideSchemaTests", dependencies: ["TideSchema"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TideSQLiteTests", dependencies: ["TideSQLite", "CSQLite", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .testTarget(name: "TideStoreTests", dependencies: ["TideStore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TideGraphQLTests", dependencies: ["TideGraphQL", "TideStore", "TideSchema", "TideModel"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TideFeedTests",
            dependencies: [
                "TideFeed", "TideStore", "TideModel", "TideSchema",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(name: "TideCryptoTests", dependencies: ["TideCrypto", "TideModel"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TideIdentityTests", dependencies: ["TideIdentity", "TideSQLite", "TideCrypto", "TideModel"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TideServerTests",
            dependencies: [
                "TideServer", "TideSchema", "TideStore", "TideModel", "TideIdentity", "TideCrypto", "TideTestSupport",
                "TideNotifications", "TideCrashLoop",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TideClientTests",
            dependencies: [
                "TideClient", "TideModel", "TideSchema", "TideCrypto", "TideTestSupport", "TideSim",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
