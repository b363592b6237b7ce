import CryptoExtras
import Foundation
import NIOHTTP1
import TideModel
import TideNotifications

/// OAuth 2 access tokens for FCM from a service account, with the JWT bearer grant (RFC 7523):
/// an RS256 assertion (`iss` the service account's `client_email`, `scope` firebase.messaging,
/// `aud` its `token_uri`) exchanged at `token_uri`. A token is reused until a minute before it
/// expires; concurrent sends share one exchange.
actor GoogleAccessTokens {
    static let scope = "https://www.googleapis.com/auth/firebase.messaging"

    private let settings: FCMSettings
    private let key: _RSA.Signing.PrivateKey
    private let http: ProviderHTTPClient
    private let now: @Sendable () -> Date
    private var cached: (token: String, expires: Date)?
    private var pending: Task<Result<String, TokenFailure>, Never>?

    /// Why no token could be had: `permanent` when the token endpoint refused the account
    /// (a configuration error, not the endpoint's), else worth retrying.
    struct TokenFailure: Error {
        var outcome: DeliveryOutcome
    }

    init(settings: FCMSettings, http: ProviderHTTPClient, now: @escaping @Sendable () -> Date = Date.init) throws {
        self.settings = settings
        self.key = try _RSA.Signing.PrivateKey(pemRepresentation: settings.privateKeyPEM.value)
        self.http = http
        self.now = now
    }

    func token() async -> Result<String, TokenFailure> {
        if let cached, cached.expires.timeIntervalSince(now()) > 60 { return .success(cached.token) }
        if let pending { return await pending.value }
        let task = Task { await self.exchange() }
        pending = task
        let result = await task.value
        pending = nil
        return result
    }

    /// Forgets the cached token (the API answered 401: it was revoked or expired early).
    func invalidate() { cached = nil }

    private func exchange() async -> Result<String, TokenFailure> {
        let issued = Int64(now().timeIntervalSince1970)
        let assertion: String
        do {
            assertion = try JWT.sign(
                claims: [
                    "iss": .string(settings.clientEmail), "scope": .string(Self.scope), "aud": .string(settings.tokenURI),
                    "iat": .int(issued), "exp": .int(issued + 3600),
                ], key: .rs256(key))
        } catch {
            return .failure(TokenFailure(outcome: .permanent(reason: "FCM: cannot sign the assertion: \(error)", disableEndpoint: false)))
        }
        let form = FormEncoding.encode([
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion),
        ])
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        let exchange = await http.send(.POST, settings.tokenURI, headers: headers, body: Array(form.utf8))
        switch exchange {
        case .response(200, _, let body):
            guard let json = try? JSONParser.parse(body), let token = json["access_token"]?.stringValue else {
                return .failure(TokenFailure(outcome: .transient(reason: "FCM token endpoint: no access_token in its answer", retryAfter: nil)))
            }
            let lifetime = json["expires_in"]?.numberValue ?? 3600
            cached = (token, now().addingTimeInterval(lifetime))
            return .success(token)
        case .response(let status, let headers, let body) where (400..<500).contains(status) && status != 408 && status != 429:
            _ = headers
            return .failure(TokenFailure(outcome: .permanent(
                reason: "FCM token endpoint refused the service account: HTTP \(status) \(ProviderHTTPClient.Exchange.snippet(body))",
                disableEndpoint: false)))
        default:
            // A token request has no side effect: an unanswered one is simply retried.
            var outcome = exchange.outcome(service: "FCM token endpoint") { _, _ in nil }
            if case .unknown(let reason) = outcome { outcome = .transient(reason: reason, retryAfter: nil) }
            return .failure(TokenFailure(outcome: outcome))
        }
    }
}

/// `application/x-www-form-urlencoded` as the WHATWG URL standard writes it.
enum FormEncoding {
    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved.union(.init(charactersIn: " ")))!
            .replacingOccurrences(of: " ", with: "+")
    }
}
