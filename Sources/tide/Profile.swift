import Foundation
import Logging
import TideClient

/// A `tide` profile folder: the session (refresh token, mode 0600), the link state, and the
/// local stores (one per server and user) with the cached schema.
///
/// ```
/// <profile>/session.json     the signed-in user and tokens (0600)
/// <profile>/link             online | offline
/// <profile>/agent.sock       the key agent holding the unlocked encryption keys (0600; `tide keys`)
/// <profile>/stores/<host-port>/schema.graphql
/// <profile>/stores/<host-port>/<user id>/tide.sqlite
/// ```
struct Profile {
    let directory: URL

    static var current: Profile { Profile(directory: GlobalOptions.current.profile) }

    var sessionStore: FileSessionStore { FileSessionStore(path: directory.appendingPathComponent("session.json").path) }
    private var linkPath: String { directory.appendingPathComponent("link").path }

    /// The persisted link state; a profile without one is online.
    var isOnline: Bool {
        guard let data = FileManager.default.contents(atPath: linkPath) else { return true }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) != "offline"
    }

    func setOnline(_ online: Bool) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let data = Data((online ? "online\n" : "offline\n").utf8)
        guard FileManager.default.createFile(atPath: linkPath, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CLIFailure.failed("cannot write \(linkPath)")
        }
    }

    /// A client for `server` keeping its session and stores in this profile.
    func client(server: URL, models: [String]? = nil) -> TideClient {
        var configuration = TideClient.Configuration(server: server, storeDirectory: directory.appendingPathComponent("stores"))
        configuration.sessionStore = sessionStore
        configuration.models = models
        // Encrypted fields: keys come from the profile's key agent (`tide keys`); locked until then.
        configuration.fieldTransform = FieldEncryptor()
        var logger = Logger(label: "tide")
        logger.logLevel = ProcessInfo.processInfo.environment["TIDE_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        configuration.logger = logger
        return TideClient(configuration: configuration)
    }

    /// The signed-in user's client with their store open; exit 4 when no one is signed in.
    func signedInClient(refreshSchema: Bool = false, models: [String]? = nil) async throws -> TideClient {
        guard let session = try sessionStore.load(), let server = URL(string: session.server) else {
            throw TideClientError.notSignedIn
        }
        let client = client(server: server, models: models)
        guard try await client.restoreSession(refreshSchema: refreshSchema) != nil else { throw TideClientError.notSignedIn }
        return client
    }

    /// The server of the stored session (for `status`).
    func server() throws -> String? {
        try sessionStore.load()?.server
    }
}

/// A server URL as given on the command line (`http://127.0.0.1:4000`; a bare host:port gets `http://`).
func serverURL(_ text: String) throws -> URL {
    let withScheme = text.contains("://") ? text : "http://" + text
    guard let url = URL(string: withScheme), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
        throw CLIFailure.usage("invalid server URL '\(text)' (expected e.g. http://127.0.0.1:4000)")
    }
    return url
}

/// The first line of stdin (`--password-stdin`).
func readPasswordFromStdin() throws -> String {
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw CLIFailure.usage("no password on stdin (pipe it in: printf '%s\\n' \"$PASSWORD\" | tide …)")
    }
    return line
}
