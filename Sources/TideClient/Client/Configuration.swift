import Foundation
import Logging
import TideModel

extension TideClient {
    /// Where the schema comes from.
    public enum SchemaSource: Sendable {
        /// `GET /schema` from the server at sign-in, cached in the store directory for offline starts.
        case server
        /// The annotated SDL, embedded in the app.
        case sdl(String)
    }

    /// Everything a client is set up with. Only `server` and `storeDirectory` are required.
    ///
    /// ```swift
    /// var configuration = TideClient.Configuration(server: URL(string: "http://127.0.0.1:4000")!,
    ///                                              storeDirectory: appSupport.appendingPathComponent("tide"))
    /// configuration.conflictStrategies["Post"] = .clientWins
    /// configuration.syncPredicates["Task"] = ["status": ["ne": "DONE"]]   // keep open tasks only
    /// configuration.localIndexes["Note"] = [["priority"]]
    /// let client = TideClient(configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// The server's base URL (`http://host:port`).
        public var server: URL
        /// Where local stores live: one database per server and user under it.
        public var storeDirectory: URL
        public var schema: SchemaSource = .server
        /// Where the session (with its refresh token) is kept; default: `session.json` (0600)
        /// in `storeDirectory`.
        public var sessionStore: (any SessionStore)?
        /// Per model; default: `serverWins` for OPTIMISTIC_CONCURRENCY models, `merge` for AUTOMERGE.
        public var conflictStrategies: [String: ConflictPolicy] = [:]
        /// A conflict resolved and sent again this many times is parked instead.
        public var maxConflictRetries = 3
        /// Per model, an Amplify filter input: only matching records are synced and kept.
        public var syncPredicates: [String: JSONValue] = [:]
        /// Extra local indexes per model (each a list of fields), beside those of `@index`.
        public var localIndexes: [String: [[String]]] = [:]
        /// The models to sync and subscribe to; nil for every model with a sync query.
        public var models: [String]?
        /// The encryption seam (ARCHITECTURE §9.3).
        public var fieldTransform: (any FieldTransform)?
        /// Outbox requests in flight at once (records are sent side by side, up to eight writes a request).
        public var sendConcurrency = 16
        /// Records per `syncXs` page (the server's limit is 1000).
        public var syncPageSize = 1000
        /// How long `syncNow()` keeps retrying writes that failed for a passing reason.
        public var syncRetryWindow: Duration = .seconds(20)
        public var logger = Logger(label: "tide.client")

        public init(server: URL, storeDirectory: URL) {
            self.server = server
            self.storeDirectory = storeDirectory
        }

        /// The folder of this server's stores: `<storeDirectory>/<host>-<port>`.
        var serverDirectory: URL {
            let host = server.host ?? "server"
            let port = server.port.map { "-\($0)" } ?? ""
            let key = (host + port).map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
            return storeDirectory.appendingPathComponent(String(key))
        }

        /// The database of one user on this server.
        func storePath(userID: String) -> String {
            let safe = userID.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }
            return serverDirectory.appendingPathComponent(String(safe)).appendingPathComponent("tide.sqlite").path
        }

        var cachedSchemaPath: String { serverDirectory.appendingPathComponent("schema.graphql").path }

        var resolvedSessionStore: any SessionStore {
            sessionStore ?? FileSessionStore(path: storeDirectory.appendingPathComponent("session.json").path)
        }

        /// `/graphql` of the server over WebSocket.
        var realtimeURL: String {
            var components = URLComponents(url: server, resolvingAgainstBaseURL: false)!
            components.scheme = components.scheme == "https" ? "wss" : "ws"
            components.path = (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + "/graphql"
            return components.string!
        }
    }
}
