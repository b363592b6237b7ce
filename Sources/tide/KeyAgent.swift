import Foundation
import TideClient
import TideCrypto
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// The per-profile key agent (ARCHITECTURE §9.3): `tide` runs one process per command, so the
/// unlocked encryption keys live in a small background process (`tide keys agent`, started by
/// `keys init` and `keys unlock`, stopped by `keys lock` and `logout`) that answers on a Unix
/// socket in the profile (`<profile>/agent.sock`, mode 0600, in a 0700 folder). Nothing of the
/// keys is ever written to disk.
///
/// What it holds and hands to each `tide` process of the profile: the key envelope and the key
/// derived from the passphrase, so that a command opens the envelope without the passphrase
/// and without Argon2id. Requests and answers are one JSON object per line:
///
/// ```
/// {"op":"get"}                                               → {"user","server","envelope","wrappingKey"} | {"error"}
/// {"op":"put","user","server","envelope","wrappingKey"}     → {"ok":true} | {"error"}
/// {"op":"stop"}                                              → {"ok":true}, then the keys are wiped and the agent exits
/// ```
///
/// The agent also wipes its keys and exits when its socket file disappears (the profile was
/// deleted, or another agent took the path over).
enum KeyAgent {
    /// The socket of `profile`'s agent.
    static func socketPath(_ profile: Profile) -> String { profile.directory.appendingPathComponent("agent.sock").path }

    /// What the agent holds.
    struct Held: Sendable {
        var user: String
        var server: String
        var keys: UnlockedKeys
    }

    // MARK: - Client side

    /// The keys the profile's agent holds, or nil when no agent answers.
    static func fetch(_ profile: Profile) -> Held? {
        guard let reply = try? exchange(socketPath(profile), ["op": "get"]), reply["error"] == nil,
            let user = reply["user"]?.stringValue, let server = reply["server"]?.stringValue,
            let envelope = reply["envelope"], let encoded = reply["wrappingKey"]?.stringValue,
            var bytes = Base64URL.decode(encoded)
        else { return nil }
        guard let key = try? SecretKey(consuming: &bytes), let parsed = try? KeyEnvelope(json: envelope.jsonBytes),
            let keys = try? parsed.unlock(wrappingKey: key)
        else { return nil }
        return Held(user: user, server: server, keys: keys)
    }

    /// Hands `keys` to the profile's agent, starting one when none runs.
    static func store(_ profile: Profile, user: String, server: String, keys: UnlockedKeys) throws {
        let request: JSONValue = [
            "op": "put", "user": .string(user), "server": .string(server), "envelope": try JSONParser.parse(keys.envelope.jsonBytes),
            "wrappingKey": .string(try keys.withWrappingKey { Base64URL.encode(Array(UnsafeBufferPointer(start: $0, count: SecretKey.length))) }),
        ]
        let path = socketPath(profile)
        if (try? exchange(path, ["op": "get"])) == nil { try start(profile) }
        let reply = try exchange(path, request)
        if let error = reply["error"]?.stringValue { throw CLIFailure.failed("the key agent refused the keys: \(error)") }
    }

    /// Stops the profile's agent (its keys are wiped); false when none was running.
    @discardableResult
    static func stop(_ profile: Profile) -> Bool {
        (try? exchange(socketPath(profile), ["op": "stop"])) != nil
    }

    /// Starts `tide keys agent` for `profile` in the background and waits (bounded) until it answers.
    private static func start(_ profile: Profile) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executablePath())
        process.arguments = ["--profile", profile.directory.path, "keys", "agent"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw CLIFailure.failed("cannot start the key agent: \(error.localizedDescription)") }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? exchange(socketPath(profile), ["op": "get"])) != nil { return }
            if !process.isRunning { throw CLIFailure.failed("the key agent stopped at start (exit \(process.terminationStatus))") }
            usleep(20_000)
        }
        throw CLIFailure.failed("the key agent did not answer within 10 s")
    }

    private static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// One request and its answer over the socket at `path`.
    private static func exchange(_ path: String, _ request: JSONValue) throws -> JSONValue {
        let fd = try UnixSocket.connect(path)
        defer { close(fd) }
        try UnixSocket.writeLine(fd, request.jsonBytes)
        guard let line = UnixSocket.readLine(fd) else { throw CLIFailure.failed("the key agent did not answer") }
        return try JSONParser.parse(line)
    }

    // MARK: - The agent process

    /// Serves `profile`'s socket until stopped. Runs in the `tide keys agent` process.
    static func serve(_ profile: Profile) throws -> Never {
        _ = setsid()  // its own session: a terminal's Ctrl-C or hang-up does not reach it
        signal(SIGPIPE, SIG_IGN)
        let path = socketPath(profile)
        let listener = try UnixSocket.listen(path)
        let inode = UnixSocket.inode(path)
        var held: Held?
        /// Wipes the keys and removes the socket file (when it is still this agent's).
        func wipe() {
            held?.keys.wipe()
            held = nil
            if UnixSocket.inode(path) == inode { unlink(path) }
        }
        while true {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 2000) <= 0 {
                // Checked every two seconds: a removed or replaced socket file ends the agent.
                if UnixSocket.inode(path) != inode {
                    wipe()
                    exit(0)
                }
                continue
            }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let request = UnixSocket.readLine(client).flatMap { try? JSONParser.parse($0) }
            var reply: JSONValue = ["error": "malformed request"]
            var stopping = false
            switch request?["op"]?.stringValue {
            case "get":
                if let held, let encoded = try? held.keys.withWrappingKey({ Base64URL.encode(Array(UnsafeBufferPointer(start: $0, count: SecretKey.length))) }),
                    let envelope = try? JSONParser.parse(held.keys.envelope.jsonBytes)
                {
                    reply = ["user": .string(held.user), "server": .string(held.server), "envelope": envelope, "wrappingKey": .string(encoded)]
                } else {
                    reply = ["error": "locked"]
                }
            case "put":
                if let request, let user = request["user"]?.stringValue, let server = request["server"]?.stringValue,
                    let next = request["envelope"], let encoded = request["wrappingKey"]?.stringValue, var bytes = Base64URL.decode(encoded),
                    let key = try? SecretKey(consuming: &bytes), let envelope = try? KeyEnvelope(json: next.jsonBytes),
                    let keys = try? envelope.unlock(wrappingKey: key)
                {
                    held?.keys.wipe()
                    held = Held(user: user, server: server, keys: keys)
                    reply = ["ok": true]
                } else {
                    reply = ["error": "the keys do not open the envelope"]
                }
            case "stop":
                // Wiped before the answer: once `keys lock` returns, the keys are gone.
                wipe()
                reply = ["ok": true]
                stopping = true
            default:
                break
            }
            try? UnixSocket.writeLine(client, reply.jsonBytes)
            close(client)
            if stopping { exit(0) }
        }
    }
}

/// The few Unix-domain socket calls the key agent needs (blocking; one short exchange each).
enum UnixSocket {
    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIFailure.failed("cannot create a socket") }
        var address = try self.address(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw CLIFailure.failed("no key agent at \(path)")
        }
        return fd
    }

    /// A listening socket at `path`, reachable by this user only; a stale socket file is replaced.
    static func listen(_ path: String) throws -> Int32 {
        if (try? connect(path)).map({ close($0) }) != nil { throw CLIFailure.failed("a key agent already runs for this profile") }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CLIFailure.failed("cannot create a socket") }
        var address = try self.address(path)
        let previous = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previous)
        guard bound == 0, chmod(path, 0o600) == 0, Glibc.listen(fd, 16) == 0 else {
            close(fd)
            throw CLIFailure.failed("cannot listen on \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    static func writeLine(_ fd: Int32, _ bytes: [UInt8]) throws {
        let line = bytes + [UInt8(ascii: "\n")]
        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw CLIFailure.failed("the key agent's socket closed") }
            offset += written
        }
    }

    /// Bytes up to a newline (at most 64 KiB), or nil when the peer sent nothing.
    static func readLine(_ fd: Int32) -> [UInt8]? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while line.count < 65536 {
            guard read(fd, &byte, 1) == 1 else { break }
            if byte == UInt8(ascii: "\n") { return line }
            line.append(byte)
        }
        return line.isEmpty ? nil : line
    }

    private static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw CLIFailure.failed("the profile path is too long for a socket (\(path))") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        return address
    }
}
