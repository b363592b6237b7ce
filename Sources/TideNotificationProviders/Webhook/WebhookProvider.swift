import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import TideNotifications

/// Webhooks: `POST` the event as JSON to the endpoint's URL with
/// `X-Tidewater-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` and
/// `X-Tidewater-Delivery: <ledger id>`, on which receivers dedupe.
struct WebhookProvider: NotificationProvider {
    private let secret: SymmetricKey
    private let http: ProviderHTTPClient
    private let now: @Sendable () -> Date

    init(settings: WebhookSettings, timeout: TimeAmount = .seconds(10), now: @escaping @Sendable () -> Date = Date.init) throws {
        self.secret = SymmetricKey(data: Data(settings.secret.value.utf8))
        self.http = try ProviderHTTPClient(timeout: timeout)
        self.now = now
    }

    /// The signature header's value for `body` sent at `timestamp`.
    static func signature(secret: SymmetricKey, timestamp: Int64, body: [UInt8]) -> String {
        var signed = Array("\(timestamp).".utf8)
        signed += body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: secret)
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    func send(_ delivery: Delivery) async -> DeliveryOutcome {
        let body = Array(delivery.message.body.utf8)
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "user-agent", value: "Tidewater-Webhooks/1")
        headers.add(name: "x-tidewater-delivery", value: delivery.id)
        headers.add(
            name: "x-tidewater-signature",
            value: Self.signature(secret: secret, timestamp: Int64(now().timeIntervalSince1970), body: body))
        let exchange = await http.send(.POST, delivery.address, headers: headers, body: body)
        if case .response(410, _, _) = exchange {
            return .permanent(reason: "webhook: HTTP 410 Gone", disableEndpoint: true)
        }
        return exchange.outcome(service: "webhook") { _, _ in nil }
    }

    func shutdown() async { await http.shutdown() }
}
