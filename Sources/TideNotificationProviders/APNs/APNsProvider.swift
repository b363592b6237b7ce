import Foundation
import NIOCore
import NIOHTTP1
import TideModel
import TideNotifications

/// Apple Push Notification service, HTTP/2 provider API: `POST {baseURL}/3/device/{token}` with
/// token-based authentication.
struct APNsProvider: NotificationProvider {
    private let settings: APNsSettings
    private let http: ProviderHTTPClient
    private let token: APNsProviderToken

    /// `reason`s of a 400/410 that mean the device token is no good for this app.
    static let tokenGone: Set<String> = ["BadDeviceToken", "Unregistered", "DeviceTokenNotForTopic"]

    init(settings: APNsSettings, timeout: TimeAmount = .seconds(10)) throws {
        self.settings = settings
        self.http = try ProviderHTTPClient(caFile: settings.caFile, timeout: timeout)
        self.token = try APNsProviderToken(settings: settings)
    }

    func send(_ delivery: Delivery) async -> DeliveryOutcome {
        let bearer: String
        do {
            bearer = try await token.token()
        } catch {
            return .permanent(reason: "APNs: cannot sign the provider token: \(error)", disableEndpoint: false)
        }
        var alert: [String: JSONValue] = ["body": .string(delivery.message.body)]
        if let title = delivery.message.title { alert["title"] = .string(title) }
        var payload: [String: JSONValue] = ["aps": ["alert": .object(alert)]]
        for (key, value) in delivery.data where key != "aps" { payload[key] = .string(value) }
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "bearer \(bearer)")
        headers.add(name: "apns-topic", value: settings.topic)
        headers.add(name: "apns-push-type", value: "alert")
        headers.add(name: "apns-priority", value: "10")
        if let collapse = delivery.collapseId { headers.add(name: "apns-collapse-id", value: String(collapse.prefix(64))) }
        headers.add(name: "content-type", value: "application/json")
        let url = "\(settings.baseURL.trimmingSuffix("/"))/3/device/\(delivery.address)"
        let exchange = await http.send(.POST, url, headers: headers, body: JSONValue.object(payload).jsonBytes)
        if case .response(let status, _, let body) = exchange, (400..<500).contains(status), status != 429 {
            let reason = (try? JSONParser.parse(body))?["reason"]?.stringValue ?? ""
            if status == 403, reason == "ExpiredProviderToken" || reason == "InvalidProviderToken" {
                await token.invalidate()
                return .transient(reason: "APNs: HTTP 403 \(reason)", retryAfter: nil)
            }
            return .permanent(reason: "APNs: HTTP \(status) \(reason)", disableEndpoint: Self.tokenGone.contains(reason))
        }
        return exchange.outcome(service: "APNs") { _, headers in headers.first(name: "apns-id") }
    }

    func shutdown() async { await http.shutdown() }
}
