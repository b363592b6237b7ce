import Hummingbird
import Logging
import TideIdentity
import TideModel

/// Sign-up, login, refresh, logout and the JWKS (ARCHITECTURE §6):
///
/// - `POST /auth/signup {username, password, email?, phone?}` → 201 `{"userId"}`
/// - `POST /auth/login {username, password}` → 200 `{"accessToken", "refreshToken", "expiresIn"}`
/// - `POST /auth/refresh {refreshToken}` → 200, a new pair
/// - `POST /auth/logout {refreshToken}` → 204
/// - `GET /.well-known/jwks.json` → the public keys of the access-token signer
/// - `GET`/`PUT /auth/key-envelope`: see `AuthRoutes+KeyEnvelope.swift`
///
/// Failures are RFC 9457 problem responses: 400 malformed or invalid input, 401 bad credentials
/// or refresh token (one body whether the username exists or not), 409 username taken or a
/// stale key-envelope version, 413, 415.
/// Every answer carries `Cache-Control: no-store`: tokens must not land in any cache.
struct AuthRoutes {
    /// Credentials are small; a tight limit keeps hostile bodies cheap.
    static let maxBodyBytes = 16 * 1024
    static let noStore: HTTPFields = [.cacheControl: "no-store"]

    let identity: IdentityService

    func register(on router: Router<TidewaterRequestContext>) {
        // Rate limited per client address before the body is read (``Admission``).
        let auth = router.group("auth")
        auth.post("signup") { request, context in
            await handle(request, context) { body in
                let userID = try await identity.signUp(
                    username: try body.string("username"), password: try body.string("password"),
                    email: try body.optionalString("email"), phone: try body.optionalString("phone"))
                return json(.created, ["userId": .string(userID)])
            }
        }
        auth.post("login") { request, context in
            await handle(request, context) { body in
                tokens(try await identity.logIn(username: try body.string("username"), password: try body.string("password")))
            }
        }
        auth.post("refresh") { request, context in
            await handle(request, context) { body in
                tokens(try await identity.refresh(refreshToken: try body.string("refreshToken")))
            }
        }
        auth.post("logout") { request, context in
            await handle(request, context) { body in
                try await identity.logOut(refreshToken: try body.string("refreshToken"))
                return Response(status: .noContent, headers: Self.noStore)
            }
        }
        registerKeyEnvelope(on: auth)
        router.get("/.well-known/jwks.json") { _, _ in
            // `no-cache`: verifiers may keep it but must revalidate, so a rotation is seen at once.
            Response(
                status: .ok, headers: [.contentType: "application/jwk-set+json", .cacheControl: "no-cache"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: identity.jwks())))
        }
    }

    /// Reads the JSON body, runs `action` and turns every failure into its problem response.
    private func handle(
        _ request: Request, _ context: TidewaterRequestContext, _ action: (JSONRequestBody) async throws -> Response
    ) async -> Response {
        await handle(request, context) { try await action(try await JSONRequestBody.read(request, limit: Self.maxBodyBytes)) }
    }

    /// Runs `action` (which reads the body, if any, itself) and turns every failure into its problem response.
    func handle(
        _ request: Request, _ context: TidewaterRequestContext, _ action: () async throws -> Response
    ) async -> Response {
        do {
            return try await action()
        } catch let problem as JSONRequestBody.Problem {
            return ProblemResponse.make(problem.status, detail: problem.detail, headers: Self.noStore)
        } catch let error as IdentityError {
            return problem(for: error, context: context)
        } catch {
            context.logger.error("auth request failed", metadata: ["error": "\(error)"])
            return ProblemResponse.make(.internalServerError, detail: "Internal server error.", headers: Self.noStore)
        }
    }

    private func problem(for error: IdentityError, context: TidewaterRequestContext) -> Response {
        let status: HTTPResponse.Status
        let detail: String
        switch error {
        case .invalidInput(let message): (status, detail) = (.badRequest, message)
        case .usernameTaken: (status, detail) = (.conflict, "The username is taken.")
        case .invalidCredentials: (status, detail) = (.unauthorized, "Invalid username or password.")
        case .invalidRefreshToken: (status, detail) = (.unauthorized, "The refresh token is invalid, expired or revoked.")
        case .unauthenticated: (status, detail) = (.unauthorized, "Not authenticated.")
        case .notFound: (status, detail) = (.notFound, "Not found.")
        case .versionConflict(let current):
            (status, detail) = (.conflict, "The stored version is \(current): read it again and send that as expectedVersion.")
        case .storage:
            context.logger.error("identity storage failed", metadata: ["error": "\(error)"])
            (status, detail) = (.internalServerError, "Internal server error.")
        }
        return ProblemResponse.make(status, detail: detail, headers: Self.noStore)
    }

    private func tokens(_ pair: TokenPair) -> Response {
        json(
            .ok,
            [
                "accessToken": .string(pair.accessToken), "refreshToken": .string(pair.refreshToken),
                "expiresIn": .int(Int64(pair.expiresIn)),
            ])
    }

    func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        rawJSON(status, body.jsonBytes)
    }

    /// A JSON response whose bytes are already written.
    func rawJSON(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        var headers = Self.noStore
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
