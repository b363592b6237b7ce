import Hummingbird
import TideIdentity
import TideModel

/// The user's key envelope (ARCHITECTURE §9.3, docs/ENCRYPTION.md): the data keys wrapped under
/// their passphrase, kept so that another device can unlock them. The server stores it and
/// hands it back; it never reads it.
///
/// - `GET /auth/key-envelope` → 200 `{"envelope": <JSON>, "version": N}`, or 404 before the first PUT
/// - `PUT /auth/key-envelope {"envelope": <JSON>, "expectedVersion": N}` → 200 `{"version": N+1}`;
///   `expectedVersion` 0 or absent creates the first one; 409 when the stored version is not
///   `expectedVersion` (another device changed it: read it again)
///
/// Bearer token only (an API key or no credentials: 401); the envelope's JSON at most
/// ``maximumEnvelopeBytes`` (413). Rate limited with the other `/auth/*` routes.
extension AuthRoutes {
    /// The envelope as stored: compact JSON, at most this many bytes.
    static let maximumEnvelopeBytes = 4096

    func registerKeyEnvelope(on auth: RouterGroup<TidewaterRequestContext>) {
        auth.get("key-envelope") { request, context in
            await handleSignedIn(request, context) { userID in
                guard let stored = try identity.keyEnvelope(userID: userID) else {
                    return ProblemResponse.make(.notFound, detail: "No key envelope has been stored for this user.", headers: Self.noStore)
                }
                var writer = JSONWriter(capacity: stored.envelope.count + 32)
                writer.raw("{\"envelope\":")
                writer.raw(bytes: stored.envelope)
                writer.raw(",\"version\":")
                writer.int(stored.version)
                writer.raw("}")
                return rawJSON(.ok, writer.bytes)
            }
        }
        auth.put("key-envelope") { request, context in
            await handleSignedIn(request, context) { userID in
                let body = try await JSONRequestBody.read(request, limit: Self.maximumEnvelopeBytes + 256)
                guard let envelope = body.fields["envelope"], !envelope.isNull else {
                    throw JSONRequestBody.Problem(status: .badRequest, detail: "envelope is required.")
                }
                let expected: Int64
                switch body.fields["expectedVersion"] {
                case nil, .null?: expected = 0
                case .int(let version)? where version >= 0: expected = version
                default: throw JSONRequestBody.Problem(status: .badRequest, detail: "expectedVersion must be an integer ≥ 0.")
                }
                let bytes = envelope.jsonBytes
                guard bytes.count <= Self.maximumEnvelopeBytes else {
                    throw JSONRequestBody.Problem(
                        status: .contentTooLarge, detail: "The key envelope exceeds \(Self.maximumEnvelopeBytes) bytes.")
                }
                let version = try identity.storeKeyEnvelope(bytes, userID: userID, expectedVersion: expected)
                return json(.ok, ["version": .int(version)])
            }
        }
    }

    /// ``handle(_:_:_:)`` for a caller with an access token: 401 for an API key or no credentials.
    private func handleSignedIn(
        _ request: Request, _ context: TidewaterRequestContext, _ action: (String) async throws -> Response
    ) async -> Response {
        await handle(request, context) {
            guard case .bearer(let token)? = try? RequestCredentials(request.headers) else {
                throw IdentityError.unauthenticated(reason: "the key envelope needs a user's access token")
            }
            guard case .user(let user) = try identity.authenticate(bearer: token) else {
                throw IdentityError.unauthenticated(reason: "not a user")
            }
            return try await action(user.id)
        }
    }
}
