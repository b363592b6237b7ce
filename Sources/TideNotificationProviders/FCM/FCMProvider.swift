import Foundation
import NIOCore
import NIOHTTP1
import TideModel
import TideNotifications

/// Firebase Cloud Messaging, HTTP v1 API: `POST {baseURL}/v1/projects/{project}/messages:send`
/// with a bearer token from ``GoogleAccessTokens``.
struct FCMProvider: NotificationProvider {
    private let settings: FCMSettings
    private let http: ProviderHTTPClient
    private let tokens: GoogleAccessTokens

    init(settings: FCMSettings, timeout: TimeAmount = .seconds(10)) throws {
        self.settings = settings
        self.http = try ProviderHTTPClient(timeout: timeout)
        self.tokens = try GoogleAccessTokens(settings: settings, http: http)
    }

    func send(_ delivery: Delivery) async -> DeliveryOutcome {
        let token: String
        switch await tokens.token() {
        case .success(let t): token = t
        case .failure(let failure): return failure.outcome
        }
        var notification: [String: JSONValue] = ["body": .string(delivery.message.body)]
        if let title = delivery.message.title { notification["title"] = .string(title) }
        var message: [String: JSONValue] = ["token": .string(delivery.address), "notification": .object(notification)]
        if !delivery.data.isEmpty { message["data"] = .object(delivery.data.mapValues(JSONValue.string)) }
        if let collapse = delivery.collapseId { message["android"] = ["collapse_key": .string(collapse)] }
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Bearer \(token)")
        headers.add(name: "content-type", value: "application/json; charset=utf-8")
        let url = "\(settings.baseURL.trimmingSuffix("/"))/v1/projects/\(settings.projectId)/messages:send"
        let exchange = await http.send(.POST, url, headers: headers, body: JSONValue.object(["message": .object(message)]).jsonBytes)
        if case .response(401, _, _) = exchange {
            // Revoked or expired early: the next attempt fetches a new token.
            await tokens.invalidate()
            return .transient(reason: "FCM: HTTP 401, the access token was refused", retryAfter: nil)
        }
        if case .response(let status, _, let body) = exchange, (400..<500).contains(status), status != 408, status != 429 {
            let error = (try? JSONParser.parse(body))?["error"]
            let code = error?["details"]?.arrayValue?.compactMap { $0["errorCode"]?.stringValue }.first
            let text = error?["message"]?.stringValue ?? ""
            // The token is gone (UNREGISTERED), belongs to another sender, or is not a token.
            let tokenGone = code == "UNREGISTERED" || code == "SENDER_ID_MISMATCH"
                || (code == "INVALID_ARGUMENT" && text.localizedCaseInsensitiveContains("registration token"))
            return .permanent(
                reason: "FCM: HTTP \(status) \(code ?? error?["status"]?.stringValue ?? "") \(text)", disableEndpoint: tokenGone)
        }
        return exchange.outcome(service: "FCM") { body, _ in (try? JSONParser.parse(body))?["name"]?.stringValue }
    }

    func shutdown() async { await http.shutdown() }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
