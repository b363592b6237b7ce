import Foundation
import NIOCore
import NIOHTTP1
import TideModel
import TideNotifications

/// Twilio's Messages API (and gateways that copy it):
/// `POST {baseURL}/2010-04-01/Accounts/{sid}/Messages.json`, basic auth, form fields To, From, Body.
struct TwilioProvider: NotificationProvider {
    private let settings: TwilioSettings
    private let http: ProviderHTTPClient

    /// Twilio error codes that mean the number cannot receive: invalid `To` (21211), not a
    /// mobile number (21614), unsubscribed (21610), unreachable (21612).
    static let numberGone: Set<Int64> = [21211, 21614, 21610, 21612]

    init(settings: TwilioSettings, timeout: TimeAmount = .seconds(10)) throws {
        self.settings = settings
        self.http = try ProviderHTTPClient(timeout: timeout)
    }

    func send(_ delivery: Delivery) async -> DeliveryOutcome {
        let credentials = Data("\(settings.accountSid):\(settings.authToken.value)".utf8).base64EncodedString()
        var headers = HTTPHeaders()
        headers.add(name: "authorization", value: "Basic \(credentials)")
        headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        let form = FormEncoding.encode([("To", delivery.address), ("From", settings.from), ("Body", delivery.message.body)])
        let url = "\(settings.baseURL.trimmingSuffix("/"))/2010-04-01/Accounts/\(settings.accountSid)/Messages.json"
        let exchange = await http.send(.POST, url, headers: headers, body: Array(form.utf8))
        if case .response(let status, _, let body) = exchange, (400..<500).contains(status), status != 408, status != 429 {
            let json = try? JSONParser.parse(body)
            let code = json?["code"]?.intValue
            return .permanent(
                reason: "SMS: HTTP \(status) \(code.map(String.init) ?? "") \(json?["message"]?.stringValue ?? "")",
                disableEndpoint: code.map(Self.numberGone.contains) ?? false)
        }
        return exchange.outcome(service: "SMS") { body, _ in (try? JSONParser.parse(body))?["sid"]?.stringValue }
    }

    func shutdown() async { await http.shutdown() }
}
