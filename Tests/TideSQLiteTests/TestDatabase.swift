import Foundation
import Logging
import TideSQLite

/// A database file in a fresh folder under the system temp directory; the folder is removed
/// when the value is released.
final class TestDatabase: Sendable {
    let folder: String
    var path: String { folder + "/test.sqlite" }

    init() throws {
        folder = NSTemporaryDirectory() + "tidewater-sqlite-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    /// A read-write connection in WAL mode.
    func open() throws -> Connection {
        let connection = try Connection(path: path, readOnly: false, busyTimeoutMilliseconds: 2_000)
        try connection.enableWAL()
        return connection
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "tidewater.sqlite.tests")
    logger.logLevel = .warning
    return logger
}()
