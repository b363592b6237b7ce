import AsyncHTTPClient
import Foundation
import NIOCore
import TideModel

/// Tools/notifications/receivers.py: HTTP receivers for FCM (and its token endpoint), APNs
/// (HTTP/2 over TLS from a test CA), the SMS gateway and webhooks, and two aiosmtpd servers
/// (plain, and STARTTLS with AUTH LOGIN). It checks each request and records it.
///
/// One process serves the provider tests, which run one at a time and reset it before each
/// (``shared()``): a process per test, a dozen Python servers starting at
/// once, loaded the two cores enough to fail other suites' timing-sensitive tests. It stops
/// with the test process (it watches for its parent to go).
public final class Receivers: Sendable {
    public let child: ChildProcess
    /// The line it printed: ports, key files, credentials.
    public let info: JSONValue
    public let folder: URL

    public static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tools/notifications/receivers.sh")

    private init(child: ChildProcess, info: JSONValue, folder: URL) {
        self.child = child
        self.info = info
        self.folder = folder
    }

    /// Starts them and waits (bounded: the first run installs their venv) for their ports.
    public static func start() async throws -> Receivers {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("receivers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let child = try await ChildProcess.start(URL(fileURLWithPath: "/bin/bash"), [script.path, "--dir", folder.path])
        let deadline = ContinuousClock.now + .seconds(240)
        while ContinuousClock.now < deadline {
            if let line = child.stdout.text.split(separator: "\n").first, let info = try? JSONParser.parse(String(line)) {
                return Receivers(child: child, info: info, folder: folder)
            }
            if child.exitStatus != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let stderr = child.stderr.text
        child.signal(SIGKILL)
        throw TestFailure("the receivers did not start: \(stderr.suffix(2000))")
    }

    /// The process all provider tests share, started by the first.
    public static func shared() async throws -> Receivers {
        try await SharedReceivers.instance.get()
    }

    /// Stops a process started with ``start()`` (the shared one stops with the test process).
    public func stop() async {
        child.signal(SIGTERM)
        _ = await child.finish(within: .seconds(10))
        try? FileManager.default.removeItem(at: folder)
    }

    /// Forgets earlier tests' records and scripts.
    public func reset() async throws {
        _ = try await control("POST", "/_control/reset")
    }

    public func port(_ name: String) -> Int { Int(info[name]!.intValue!) }
    public func string(_ name: String) -> String { info[name]!.stringValue! }
    public var http: String { "http://127.0.0.1:\(port("http"))" }

    /// Every request received so far, in order; `kind` narrows them.
    public func records(_ kind: String? = nil) async throws -> [JSONValue] {
        let all = try await control("GET", "/_control/records").arrayValue ?? []
        return kind.map { kind in all.filter { $0["kind"]?.stringValue == kind } } ?? all
    }

    /// Makes the next requests of `kind` answer as `answers` say (then normally again).
    public func script(_ kind: String, _ answers: [JSONValue]) async throws {
        _ = try await control("POST", "/_control/script", body: ["kind": .string(kind), "answers": .array(answers)])
    }

    private func control(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: http + path)
        request.method = .init(rawValue: method)
        if let body { request.body = .bytes(ByteBuffer(bytes: body.jsonBytes)) }
        let response = try await AsyncHTTPClient.HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return try JSONParser.parse(bytes.readableBytesView)
    }
}

/// Starts the receivers once; a failed start is reported to every test.
private actor SharedReceivers {
    static let instance = SharedReceivers()
    private var started: Task<Receivers, any Error>?

    func get() async throws -> Receivers {
        if started == nil { started = Task { try await Receivers.start() } }
        return try await started!.value
    }
}

