import Foundation
import TideCrypto
import TideModel

extension IdentityService {
    /// The user an access token stands for: the hot path, called for every request with
    /// `Authorization: Bearer <token>` (pass the token without the `Bearer ` prefix).
    ///
    /// The token must be an EdDSA JWT signed by a current or recently retired key, with this
    /// server's issuer, not expired beyond the leeway. A token seen before and not yet expired is
    /// answered from a cache without verifying its signature again. Tokens are stateless: removing
    /// a user or changing its groups shows at the next login or refresh, not in live tokens.
    ///
    /// - Throws: ``IdentityError/unauthenticated(reason:)``; the reason is for logs, not clients.
    public func authenticate(bearer token: String) throws(IdentityError) -> Principal {
        .user(try verify(bearer: token).user)
    }

    /// ``authenticate(bearer:)`` with the moment the token stops being accepted, for a caller
    /// that holds on to a token (a WebSocket connection) and must end its rights then.
    public func verify(bearer token: String) throws(IdentityError) -> VerifiedAccessToken {
        guard token.utf8.count <= AccessTokenVerifier.maximumTokenLength else {
            throw .unauthenticated(reason: TokenError.malformed.description)
        }
        let now = configuration.now()
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        if let (user, expiresAt) = tokenCache.user(for: token, nowSeconds: nowSeconds) {
            return VerifiedAccessToken(user: user, expiresAt: expiresAt)
        }
        let claims: AccessTokenClaims
        do {
            claims = try keyRing.snapshot.verifier.verify(token, now: now)
        } catch {
            throw .unauthenticated(reason: error.description)
        }
        let user = UserIdentity(
            id: claims.sub, username: claims.username, groups: claims.groups, groupsChangedAt: claims.groupsChangedAt)
        // The verifier accepts a token until `exp` plus the leeway; the cache keeps it exactly as long.
        let expiresAt = claims.exp + Int64(configuration.leewaySeconds)
        tokenCache.insert(user, for: token, expiresAt: expiresAt, nowSeconds: nowSeconds)
        return VerifiedAccessToken(user: user, expiresAt: expiresAt)
    }

    /// The API key's principal, for requests with `x-api-key: <key>`: the key must exist and be
    /// neither revoked nor expired. A key created by the admin CLI works at once; a revocation
    /// applies within ``IdentityConfiguration/reloadInterval``.
    ///
    /// - Throws: ``IdentityError/unauthenticated(reason:)``; the reason is for logs, not clients.
    public func authenticate(apiKey: String) throws(IdentityError) -> Principal {
        guard let (id, secret) = APIKeyFormat.parse(apiKey) else { throw .unauthenticated(reason: "API key is malformed") }
        // Look up by the public id, then compare hashes in constant time: timing tells nothing
        // about how much of the secret was right.
        guard let stored = keyRing.snapshot.apiKeys[id] ?? keyRing.freshSnapshot.apiKeys[id],
            constantTimeEquals(Array(stored.secretHash.utf8), Array(OpaqueToken.hash(secret).utf8))
        else { throw .unauthenticated(reason: "API key is unknown or revoked") }
        if let expiresAt = stored.expiresAt, expiresAt <= configuration.now() {
            throw .unauthenticated(reason: "API key has expired")
        }
        return .apiKey(id: id)
    }
}
