import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import Synchronization

/// One Tidewater subscriber: a graphql-transport-ws socket (HummingbirdWSClient) that sends
/// `connection_init` with the bearer token, subscribes to `onCreateNote { id }`, and records
/// every `next`.
///
/// graphql-transport-ws does not acknowledge a subscribe, but the server handles a
/// connection's messages in order: once it answers a `ping` sent after the subscribe, the
/// subscription is live. That `pong` is what `ready` waits for.
enum WSSubscriber {
    static func start(
        url: String, token: String, group: any EventLoopGroup, log: SubscriberLog, recorder: Recorder,
        timeout: Duration
    ) async throws {
        let ready = Ready()
        let logger = Logger(label: "fanout.ws", factory: { _ in SwiftLogNoOpLogHandler() })
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = "graphql-transport-ws"
        let client = WebSocketClient(
            url: url, configuration: .init(maxFrameSize: 1 << 16, additionalHeaders: headers),
            eventLoopGroup: group, logger: logger
        ) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"type":"connection_init","payload":{"Authorization":"Bearer \#(token)"}}"#))
            for try await frame in inbound {
                // Stamp first: everything below is the client's own time.
                let now = ContinuousClock.now
                guard frame.opcode == .text || frame.opcode == .continuation else { continue }
                let handled = frame.data.withUnsafeReadableBytes { bytes -> Bool in
                    guard contains(bytes, #""type":"next""#) else { return false }
                    log.record(bytes, at: now, recorder: recorder)
                    return true
                }
                if handled { continue }
                let text = String(buffer: frame.data)
                if text.contains(#""type":"connection_ack""#) {
                    try await outbound.write(.text(#"{"id":"1","type":"subscribe","payload":{"query":"subscription { onCreateNote { id } }"}}"#))
                    try await outbound.write(.text(#"{"type":"ping"}"#))
                } else if text.contains(#""type":"pong""#) {
                    ready.set(.success(()))
                } else if text.contains(#""type":"ping""#) {
                    try await outbound.write(.text(#"{"type":"pong"}"#))
                } else {
                    log.fail("unexpected message: \(text.prefix(300))")
                    ready.set(.failure(ClientError("unexpected message: \(text.prefix(300))")))
                }
            }
        }
        Task {
            do {
                let close = try await client.run()
                let reason = "socket closed by the server (\(close.map { "\($0.closeCode) \($0.reason ?? "")" } ?? "no close frame"))"
                log.fail(reason)
                ready.set(.failure(ClientError(reason)))
            } catch {
                log.fail("\(error)")
                ready.set(.failure(error))
            }
        }
        try await ready.wait(timeout: timeout)
    }

    private static func contains(_ bytes: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        return needle.withUTF8Buffer { needle in
            for i in 0...(bytes.count - n) {
                var j = 0
                while j < n, bytes[i + j] == needle[j] { j += 1 }
                if j == n { return true }
            }
            return false
        }
    }
}

/// A one-shot outcome, polled with a deadline.
final class Ready: Sendable {
    private let outcome = Mutex<Result<Void, any Error>?>(nil)

    func set(_ result: Result<Void, any Error>) {
        outcome.withLock { if $0 == nil { $0 = result } }
    }

    func wait(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let result = outcome.withLock({ $0 }) { return try result.get() }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ClientError("not subscribed within \(timeout)")
    }
}
