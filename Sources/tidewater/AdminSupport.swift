import ArgumentParser
import Foundation
import TideIdentity
import TideServer

/// `--data DIR` for the admin commands, defaulting like `serve`. They open the folder's
/// `identity.sqlite` beside a running server (SQLite WAL; the server picks changes up within
/// about a second).
struct DataFolderOptions: ParsableArguments {
    @Option(help: "The data folder.")
    var data: String = ServerConfiguration().dataDirectory

    /// Opens the identity service and runs `body`; an error prints as one line on stderr and exits 1.
    func withIdentity<T>(_ body: (IdentityService) async throws -> T) async throws -> T {
        bootstrapLogging(defaultLevel: .warning)
        do {
            let identity = try IdentityService(dataDirectory: data)
            defer { identity.close() }
            return try await body(identity)
        } catch let error as AdminFailure {
            failAdmin(error.message)
        } catch let error as IdentityError {
            failAdmin("\(error)")
        }
    }
}

/// Ends an admin command: `message` as one line on stderr, exit status 1.
func failAdmin(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tidewater: \(message)\n".utf8))
    Foundation.exit(1)
}

/// A refusal of an admin command, printed without a stack trace.
struct AdminFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Timestamps in listings: ISO 8601, UTC.
func formatted(_ date: Date?) -> String {
    date.map { $0.formatted(.iso8601) } ?? "-"
}
