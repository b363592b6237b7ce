import Foundation
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// Where a ``Session`` survives between runs. The store must keep the refresh token private:
/// refresh tokens rotate, and a token used twice revokes the whole session on the server.
///
/// ```swift
/// struct KeychainSessionStore: SessionStore {
///     func load() throws -> Session? { … }          // read from the platform's secret store
///     func save(_ session: Session) throws { … }    // durable before it returns
///     func clear() throws { … }
///     func withExclusiveAccess<T: Sendable>(_ body: () async throws -> T) async throws -> T {
///         try await body()                          // one process: nothing to coordinate
///     }
/// }
/// ```
public protocol SessionStore: Sendable {
    func load() throws -> Session?
    /// Replaces the stored session; durable when it returns (a rotated refresh token that is
    /// lost leaves the user signed out).
    func save(_ session: Session) throws
    func clear() throws
    /// Runs `body` while no other process using the same store runs its own: a token refresh
    /// re-reads the session inside, so two processes never spend the same refresh token.
    func withExclusiveAccess<T: Sendable>(_ body: () async throws -> T) async throws -> T
}

/// A session in a JSON file, mode 0600, replaced atomically (written beside, synced, renamed);
/// refreshes of several processes are serialised with `flock` on a lock file beside it.
public struct FileSessionStore: SessionStore {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func load() throws -> Session? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let json = try? JSONParser.parse(Array(data)), let session = Session(json: json) else {
            throw TideClientError.localStore("the session file \(path) is not readable; sign in again")
        }
        return session
    }

    public func save(_ session: Session) throws {
        try PrivateFile.write(session.json.jsonBytes, to: path)
    }

    public func clear() throws {
        if unlink(path) != 0 && errno != ENOENT {
            throw TideClientError.localStore("cannot remove \(path): \(String(cString: strerror(errno)))")
        }
    }

    public func withExclusiveAccess<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        let lock = try PrivateFile.openLock(path + ".lock")
        defer { close(lock) }
        // Held only around a refresh (one request); another process waits that long at most.
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw TideClientError.localStore("cannot lock \(path).lock: \(String(cString: strerror(errno)))") }
        }
        defer { flock(lock, LOCK_UN) }
        return try await body()
    }
}

/// Files only their owner may read: sessions, link state, stores.
enum PrivateFile {
    /// Writes `bytes` to `path` atomically with mode 0600: a temporary file beside it, fsync,
    /// rename, fsync of the folder.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try makeDirectory(directory)
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot write \(temporary)") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                close(fd)
                throw failure("cannot write \(temporary)")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw failure("cannot sync \(temporary)")
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw failure("cannot replace \(path)") }
        let dir = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    /// A folder (and its parents) only its owner may enter.
    static func makeDirectory(_ path: String) throws {
        guard !path.isEmpty, !FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw TideClientError.localStore("cannot create \(path): \(error.localizedDescription)")
        }
    }

    static func openLock(_ path: String) throws -> Int32 {
        try makeDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot open \(path)") }
        return fd
    }

    private static func failure(_ what: String) -> TideClientError {
        .localStore("\(what): \(String(cString: strerror(errno)))")
    }
}
