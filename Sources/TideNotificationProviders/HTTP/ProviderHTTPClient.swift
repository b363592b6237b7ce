import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import TideNotifications

/// An HTTP/1.1 and HTTP/2 client (AsyncHTTPClient; HTTP/2 when TLS's ALPN offers it) that tells
/// apart a request that failed before it was fully written (safe to retry) from one that was
/// written and got no answer (the outcome is unknown).
final class ProviderHTTPClient: Sendable {
    private let client: HTTPClient
    private let timeout: TimeAmount

    /// - Parameters:
    ///   - caFile: a PEM file of CA certificates to trust instead of the system's.
    ///   - timeout: connect timeout, and the time allowed for the whole exchange.
    init(caFile: String? = nil, timeout: TimeAmount = .seconds(10)) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: timeout, read: timeout))
        configuration.httpVersion = .automatic
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
    }

    /// The answer to one request, or why there is none.
    enum Exchange: Sendable {
        case response(status: Int, headers: HTTPHeaders, body: [UInt8])
        /// `written`: whether the whole request had gone out before the failure.
        case failed(reason: String, written: Bool)
    }

    func send(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders, body: [UInt8]) async -> Exchange {
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: url, method: method, headers: headers, body: .bytes(body))
        } catch {
            return .failed(reason: "bad request URL \(url): \(error)", written: false)
        }
        let tracker = ExchangeTracker()
        let task = client.execute(request: request, delegate: tracker, deadline: .now() + timeout)
        do {
            let response = try await task.futureResult.get()
            return .response(status: response.status, headers: response.headers, body: response.body)
        } catch {
            return .failed(reason: "\(error)", written: tracker.requestWritten)
        }
    }

    func shutdown() async {
        try? await client.shutdown()
    }
}

/// Collects the response and notes when the request's last byte was written.
final class ExchangeTracker: HTTPClientResponseDelegate, Sendable {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    private struct State {
        var written = false
        var status = 0
        var headers = HTTPHeaders()
        var body: [UInt8] = []
    }

    private let state = Mutex(State())

    var requestWritten: Bool { state.withLock { $0.written } }

    func didSendRequest(task: HTTPClient.Task<Response>) {
        state.withLock { $0.written = true }
    }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.withLock {
            $0.status = Int(head.status.code)
            $0.headers = head.headers
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        state.withLock { $0.body.append(contentsOf: buffer.readableBytesView) }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        state.withLock { Response(status: $0.status, headers: $0.headers, body: $0.body) }
    }
}

extension ProviderHTTPClient.Exchange {
    /// The common classification: 2xx sent, 429/5xx/408 transient (with `Retry-After`), other
    /// statuses permanent; a failure before the request was written transient, after it
    /// unknown. Providers refine 4xx answers that mean "this address is gone".
    func outcome(service: String, messageId: (_ body: [UInt8], _ headers: HTTPHeaders) -> String?) -> DeliveryOutcome {
        switch self {
        case .failed(let reason, let written):
            return written
                ? .unknown(reason: "\(service): no answer after the request was sent (\(reason))")
                : .transient(reason: "\(service): \(reason)", retryAfter: nil)
        case .response(let status, let headers, let body):
            switch status {
            case 200..<300:
                return .sent(providerMessageId: messageId(body, headers))
            case 408, 429, 500..<600:
                return .transient(
                    reason: "\(service): HTTP \(status) \(Self.snippet(body))",
                    retryAfter: RetryAfter.seconds(headers.first(name: "retry-after")))
            default:
                return .permanent(reason: "\(service): HTTP \(status) \(Self.snippet(body))", disableEndpoint: false)
            }
        }
    }

    /// The start of a response body, for a reason line.
    static func snippet(_ body: [UInt8]) -> String {
        String(decoding: body.prefix(300), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
    }
}
