import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TideModel
import TideNotifications
import TideTestSupport

/// Tools/notifications/receivers.py: HTTP receivers for FCM (and its token endpoint), APNs
/// (HTTP/2 over TLS from a test CA), the SMS gateway and webhooks, and two aiosmtpd servers
/// (plain, and STARTTLS with AUTH LOGIN). It checks each request and records it.
///
/// One process serves the provider tests, which run one at a time (``ProviderTests`` is
/// serialized) and reset it before each: a process per test, a dozen Python servers starting at
/// once, loaded the two cores enough to fail other suites' timing-sensitive tests. It stops
/// with the test process (it watches for its parent to go).
final class Receivers: Sendable {
    let child: ChildProcess
    /// The line it printed: ports, key files, credentials.
    let info: JSONValue
    let folder: URL

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tools/notifications/receivers.sh")

    private init(child: ChildProcess, info: JSONValue, folder: URL) {
        self.child = child
        self.info = info
        self.folder = folder
    }

    /// Starts them and waits (bounded: the first run installs their venv) for their ports.
    static func start() async throws -> Receivers {
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
    static func shared() async throws -> Receivers {
        try await SharedReceivers.instance.get()
    }

    /// Forgets earlier tests' records and scripts.
    func reset() async throws {
        _ = try await control("POST", "/_control/reset")
    }

    func port(_ name: String) -> Int { Int(info[name]!.intValue!) }
    func string(_ name: String) -> String { info[name]!.stringValue! }
    var http: String { "http://127.0.0.1:\(port("http"))" }

    /// Every request received so far, in order; `kind` narrows them.
    func records(_ kind: String? = nil) async throws -> [JSONValue] {
        let all = try await control("GET", "/_control/records").arrayValue ?? []
        return kind.map { kind in all.filter { $0["kind"]?.stringValue == kind } } ?? all
    }

    /// Makes the next requests of `kind` answer as `answers` say (then normally again).
    func script(_ kind: String, _ answers: [JSONValue]) async throws {
        _ = try await control("POST", "/_control/script", body: ["kind": .string(kind), "answers": .array(answers)])
    }

    private func control(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(url: http + path)
        request.method = .init(rawValue: method)
        if let body { request.body = .bytes(ByteBuffer(bytes: body.jsonBytes)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
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

/// Runs `body` with the shared receivers, reset.
func withReceivers(_ body: (Receivers) async throws -> Void) async throws {
    let receivers = try await Receivers.shared()
    try await receivers.reset()
    try await body(receivers)
}

/// The provider tests, one at a time on the shared receivers (see ``Receivers``).
@Suite(.serialized) struct ProviderTests {}

/// The problems a receiver found with a request (empty: it was as the service documents it).
func problems(_ record: JSONValue) -> [String] {
    record["problems"]?.arrayValue?.compactMap(\.stringValue) ?? ["no record"]
}

func delivery(
    _ channel: NotificationChannel, to address: String, platform: PushPlatform? = nil, id: String = UUID().uuidString,
    message: RenderedMessage = RenderedMessage(title: "New comment", body: "Hello from Tidewater"), collapseId: String? = nil
) -> Delivery {
    Delivery(id: id, channel: channel, platform: platform, address: address, message: message, collapseId: collapseId)
}

extension DeliveryOutcome {
    var isSent: Bool { if case .sent = self { true } else { false } }
    var isTransient: Bool { if case .transient = self { true } else { false } }
    var isUnknown: Bool { if case .unknown = self { true } else { false } }
    var retryAfter: Int? { if case .transient(_, let seconds) = self { seconds } else { nil } }
    var disablesEndpoint: Bool? { if case .permanent(_, let disable) = self { disable } else { nil } }
    var providerMessageId: String? { if case .sent(let id) = self { id } else { nil } }
}
