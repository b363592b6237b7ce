import Foundation
import NIOHTTP1
import TideModel

/// The identity routes (ARCHITECTURE §6): sign-up, login, refresh, logout. Failures come back as
/// ``TideClientError``s: 401 `authenticationFailed`, 400 `invalidArgument`, no answer
/// `serverUnreachable`; 429 is waited out (its `Retry-After`, a bounded number of times).
struct AuthAPI: Sendable {
    let http: HTTPTransport

    /// `POST /auth/signup` → the new user's id.
    func signUp(username: String, password: String, email: String?) async throws(TideClientError) -> String {
        var body: [String: JSONValue] = ["username": .string(username), "password": .string(password)]
        if let email { body["email"] = .string(email) }
        let reply = try await post("auth/signup", .object(body))
        guard reply.status == 201, case .string(let id)? = reply.json?["userId"] else { throw Self.failure(reply) }
        return id
    }

    /// `POST /auth/login` → `{accessToken, refreshToken, expiresIn}`.
    func logIn(username: String, password: String) async throws(TideClientError) -> JSONValue {
        let reply = try await post("auth/login", ["username": .string(username), "password": .string(password)])
        guard reply.status == 200, let tokens = reply.json else { throw Self.failure(reply) }
        return tokens
    }

    /// `POST /auth/refresh`: spends `refreshToken` (refresh tokens rotate) for a new pair.
    func refresh(_ refreshToken: String) async throws(TideClientError) -> JSONValue {
        let reply = try await post("auth/refresh", ["refreshToken": .string(refreshToken)])
        guard reply.status == 200, let tokens = reply.json else { throw Self.failure(reply) }
        return tokens
    }

    /// `POST /auth/logout`: revokes the refresh token's session.
    func logOut(_ refreshToken: String) async throws(TideClientError) {
        let reply = try await post("auth/logout", ["refreshToken": .string(refreshToken)])
        // 401: the session was already revoked, which is what logging out asks for.
        guard reply.status == 204 || reply.status == 200 || reply.status == 401 else { throw Self.failure(reply) }
    }

    private func post(_ path: String, _ body: JSONValue) async throws(TideClientError) -> HTTPTransport.Reply {
        try await Throttle.retrying { () throws(TransportError) in
            do throws(TransportError) {
                return try await http.exchange(.POST, path, body: body)
            } catch .unauthenticated(let message) {
                // The auth routes answer 401 with a problem document: its detail says why.
                return HTTPTransport.Reply(
                    status: 401, body: .init(bytes: (["detail": .string(message)] as JSONValue).jsonBytes), headers: [:])
            }
        }
    }

    private static func failure(_ reply: HTTPTransport.Reply) -> TideClientError {
        let detail = reply.json?["detail"]?.stringValue ?? reply.text
        switch reply.status {
        case 401: return .authenticationFailed(detail)
        case 400, 413, 415: return .invalidArgument(detail)
        default: return .server(code: "HTTP \(reply.status)", message: detail)
        }
    }
}

/// Waiting out 429/503 answers: their `Retry-After` (or a short backoff), a bounded number of
/// times, then the failure is the caller's.
enum Throttle {
    static let attempts = 4
    static let longestWait = 30.0

    static func retrying<T: Sendable>(
        _ body: () async throws(TransportError) -> T
    ) async throws(TideClientError) -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch .throttled(let status, let retryAfter) where attempt + 1 < attempts {
                attempt += 1
                let wait = min(longestWait, retryAfter ?? Backoff.standard.delay(attempt: attempt))
                _ = status
                try? await Task.sleep(for: .seconds(wait))
            } catch {
                throw error.clientError
            }
        }
    }
}

extension TransportError {
    /// The error a caller of the library sees.
    var clientError: TideClientError {
        switch self {
        case .unreachable(let why): .serverUnreachable(why)
        case .throttled(let status, let retryAfter):
            .server(code: "HTTP \(status)", message: "rate limited\(retryAfter.map { "; retry after \(Int($0)) s" } ?? "")")
        case .serverError(let status, let body): .server(code: "HTTP \(status)", message: String(body.prefix(200)))
        case .unauthenticated(let why): .authenticationFailed(why)
        case .rejected(let status, let body): .server(code: "HTTP \(status)", message: String(body.prefix(200)))
        }
    }
}
