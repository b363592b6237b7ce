import NIOHTTP1
import TideCrypto
import TideModel

/// The key-envelope routes (ARCHITECTURE §9.3): `GET /auth/key-envelope` and
/// `PUT /auth/key-envelope {"envelope", "expectedVersion"}`, with the signed-in user's token.
struct KeyEnvelopeAPI: Sendable {
    /// The stored envelope and its version.
    struct Stored: Sendable {
        var envelope: KeyEnvelope
        var version: Int64
    }

    let http: HTTPTransport
    let tokens: TokenProvider

    /// The user's envelope, or nil when none is stored yet.
    func fetch() async throws(TideClientError) -> Stored? {
        let reply = try await exchange(.GET, body: nil)
        if reply.status == 404 { return nil }
        guard reply.status == 200, let object = reply.json, let version = object["version"]?.intValue,
            let envelope = object["envelope"]
        else { throw Self.failure(reply) }
        do {
            return Stored(envelope: try KeyEnvelope(json: envelope.jsonBytes), version: version)
        } catch {
            throw .encryption("the key envelope on the server cannot be read: \(error)")
        }
    }

    /// Stores `envelope` if the stored version is still `expectedVersion` (0: none yet);
    /// returns the new version. A moved version is `conflict`.
    func store(_ envelope: KeyEnvelope, expectedVersion: Int64) async throws(KeyEnvelopeStoreError) -> Int64 {
        let body: JSONValue
        do {
            body = ["envelope": try JSONParser.parse(envelope.jsonBytes), "expectedVersion": .int(expectedVersion)]
        } catch {
            throw .other(.encryption("the key envelope cannot be encoded: \(error)"))
        }
        let reply: HTTPTransport.Reply
        do { reply = try await exchange(.PUT, body: body) } catch { throw .other(error) }
        if reply.status == 409 { throw .conflict }
        guard reply.status == 200, let version = reply.json?["version"]?.intValue else { throw .other(Self.failure(reply)) }
        return version
    }

    private func exchange(_ method: HTTPMethod, body: JSONValue?) async throws(TideClientError) -> HTTPTransport.Reply {
        let token = try await tokens.accessToken()
        do {
            return try await send(method, body: body, token: token)
        } catch .authenticationFailed {
            return try await send(method, body: body, token: try await tokens.tokenAfterRejection(of: token))
        }
    }

    private func send(_ method: HTTPMethod, body: JSONValue?, token: String) async throws(TideClientError) -> HTTPTransport.Reply {
        try await Throttle.retrying { () throws(TransportError) in
            try await http.exchange(method, "auth/key-envelope", body: body, headers: [("Authorization", "Bearer \(token)")])
        }
    }

    private static func failure(_ reply: HTTPTransport.Reply) -> TideClientError {
        let detail = reply.json?["detail"]?.stringValue ?? reply.text
        switch reply.status {
        case 413: return .encryption("the key envelope is larger than the server keeps (too many key versions)")
        default: return .server(code: "HTTP \(reply.status)", message: detail)
        }
    }
}

/// Why a key envelope was not stored.
enum KeyEnvelopeStoreError: Error {
    /// The stored version moved (another device changed the keys).
    case conflict
    case other(TideClientError)
}
