import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TideModel

/// Why a request got no usable answer.
enum TransportError: Error, Sendable, CustomStringConvertible {
    /// No connection, or it broke before an answer (refused, reset, timed out): try again later.
    case unreachable(String)
    /// 429 or 503: try again after `retryAfter` seconds (when the server said).
    case throttled(status: Int, retryAfter: Double?)
    /// 5xx other than 503: the server's fault, try again later.
    case serverError(status: Int, body: String)
    /// 401: the credentials are not (or no longer) valid.
    case unauthenticated(String)
    /// Any other status, or a body that is not what the contract says: retrying will not help.
    case rejected(status: Int, body: String)

    var description: String {
        switch self {
        case .unreachable(let why): "server unreachable: \(why)"
        case .throttled(let status, let retryAfter): "HTTP \(status)\(retryAfter.map { ", retry after \($0) s" } ?? "")"
        case .serverError(let status, let body): "HTTP \(status): \(body.prefix(200))"
        case .unauthenticated(let why): "unauthenticated: \(why)"
        case .rejected(let status, let body): "HTTP \(status): \(body.prefix(200))"
        }
    }

    /// Worth retrying later with the same request.
    var isTransient: Bool {
        switch self {
        case .unreachable, .throttled, .serverError: true
        case .unauthenticated, .rejected: false
        }
    }

    var retryAfter: Double? { if case .throttled(_, let seconds) = self { seconds } else { nil } }
}

/// One HTTP exchange with the server: AsyncHTTPClient with a pooled connection per concurrent
/// request (the outbox sends records side by side), JSON bodies written and read with
/// TideModel's writer and parser.
struct HTTPTransport: Sendable {
    struct Reply: Sendable {
        var status: Int
        var body: ByteBuffer
        var headers: HTTPHeaders

        var json: JSONValue? { try? JSONParser.parse(body.readableBytesView) }
        var text: String { String(buffer: body) }
    }

    /// One pooled client for the process: AsyncHTTPClient wants a shutdown before a client is
    /// released, which a process-wide client never is.
    static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .seconds(5), read: .seconds(60)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32))
        configuration.httpVersion = .http1Only
        // A refused connection fails the request at once: the outbox and the sync engine have
        // their own backoff, and an offline `tide sync` should not wait out a connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    /// The largest answer read (a page of 1000 records is a few hundred KiB).
    static let maxBody = 64 << 20

    let baseURL: URL
    var timeout: TimeAmount = .seconds(60)

    func url(_ path: String) -> String {
        baseURL.appendingPathComponent(path).absoluteString
    }

    /// Sends a request; any status comes back as a reply, only a failure to get one throws.
    func send(
        _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, headers: [(String, String)] = []
    ) async throws(TransportError) -> Reply {
        var request = HTTPClientRequest(url: url(path))
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await Self.shared.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: Self.maxBody)
            return Reply(status: Int(response.status.code), body: bytes, headers: response.headers)
        } catch {
            throw .unreachable(Self.describe(error))
        }
    }

    /// Sends a JSON request and classifies the status: 2xx and 4xx bodies come back (GraphQL and
    /// the auth routes answer errors in them), 401, 429, 5xx throw.
    func exchange(
        _ method: HTTPMethod, _ path: String, body: JSONValue? = nil, headers: [(String, String)] = []
    ) async throws(TransportError) -> Reply {
        let reply = try await send(method, path, body: body?.jsonBytes, headers: headers)
        switch reply.status {
        case 401:
            let message = reply.json?["errors"]?[0]?["message"]?.stringValue ?? reply.json?["detail"]?.stringValue ?? reply.text
            throw .unauthenticated(message)
        case 429, 503:
            throw .throttled(status: reply.status, retryAfter: reply.headers.first(name: "Retry-After").flatMap(Double.init))
        case 500...599:
            throw .serverError(status: reply.status, body: reply.text)
        default:
            return reply
        }
    }

    /// A short description of a connection failure (NIO's errors print as types).
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .readTimeout, .deadlineExceeded: return "no answer in time"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }
}

extension JSONValue {
    /// `array[index]`; nil out of range or for a non-array.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
