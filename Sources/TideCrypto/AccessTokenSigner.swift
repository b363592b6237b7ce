import TideModel

/// Signs access tokens as compact JWS: `base64url(header).base64url(claims).base64url(signature)` with
/// header `{"alg":"EdDSA","kid":…,"typ":"JWT"}` (keys sorted, compact).
///
/// ```swift
/// let signer = AccessTokenSigner(key: currentKey)
/// let token = signer.sign(claims)       // "eyJhbGciOiJFZERTQSIs…"
/// ```
public struct AccessTokenSigner: Sendable {
    /// The key that signs; its `kid` goes into every header.
    public let key: SigningKey

    public init(key: SigningKey) {
        self.key = key
    }

    /// A signed token carrying `claims`.
    public func sign(_ claims: AccessTokenClaims) -> String {
        Self.sign(claims, with: key)
    }

    /// A token carrying `claims`, signed with `key`.
    public static func sign(_ claims: AccessTokenClaims, with key: SigningKey) -> String {
        let header: JSONValue = ["alg": "EdDSA", "typ": "JWT", "kid": .string(key.kid)]
        let signingInput = Base64URL.encode(header.jsonBytes) + "." + Base64URL.encode(claims.json.jsonBytes)
        return signingInput + "." + Base64URL.encode(key.sign(Array(signingInput.utf8)))
    }
}
