import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive advisory lock (`flock`) on `<data>/tidewater.lock`, held by a serving process
/// for as long as it runs, so that a second server or a restore cannot take over a data folder
/// that is in use. The kernel drops it when the process ends, also on SIGKILL: there is no
/// stale lock to clean up. Admin commands (`users`, `apikeys`, `keys`, `backup`) do not take
/// it: they are made to work beside a running server.
///
/// ```swift
/// let lock = try DataFolderLock(directory: "data")   // throws .inUse when a server holds it
/// // … serve; the lock is released when `lock` is released (or the process ends)
/// ```
public final class DataFolderLock: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        /// Another process holds the lock.
        case inUse(String)
        /// The lock file could not be opened.
        case unavailable(String, errno: Int32)

        public var description: String {
            switch self {
            case .inUse(let directory): "the data folder \(directory) is in use by a running server"
            case .unavailable(let path, let code): "cannot open \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    /// The lock file's name inside a data folder.
    public static let fileName = "tidewater.lock"
    private let descriptor: Int32

    /// Takes the lock without waiting, creating the folder and the lock file if needed.
    public init(directory: String) throws(Failure) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: directory).appendingPathComponent(Self.fileName).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .unavailable(path, errno: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            throw code == EWOULDBLOCK ? .inUse(directory) : .unavailable(path, errno: code)
        }
        self.descriptor = descriptor
    }

    /// Whether a process holds the lock of `directory` now (false when the folder has none).
    public static func isHeld(directory: String) -> Bool {
        let path = URL(fileURLWithPath: directory).appendingPathComponent(fileName).path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return errno == EWOULDBLOCK }
        flock(descriptor, LOCK_UN)
        return false
    }

    deinit { close(descriptor) }
}
