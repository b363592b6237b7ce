import Foundation
import TideModel

/// Verifies access tokens made by ``AccessTokenSigner``: EdDSA only, keys chosen by `kid`, issuer and
/// lifetime checked.
///
/// The algorithm is fixed by the verifier, never taken from the token: a header saying `none` or
/// `HS256` is refused before any key is touched, which rules out the classic alg-confusion attacks
/// (unsigned tokens, or an HMAC keyed with the published public key).
///
/// ```swift
/// let verifier = AccessTokenVerifier(keys: [current.publicKey, previous], issuer: "tidewater")
/// do {
///     let claims = try verifier.verify(bearer, now: .now)
///     // claims.sub, claims.groups …
/// } catch {
///     // every TokenError → UNAUTHENTICATED
/// }
/// ```
public struct AccessTokenVerifier: Sendable {
    /// Longest token accepted, in bytes: bounds parsing work on hostile input.
    public static let maximumTokenLength = 8192

    /// Keys tried, in order, for a token without `kid`.
    public let keys: [PublicKey]
    /// The only accepted `iss`.
    public let issuer: String
    /// Clock skew tolerated on `exp`, `iat` and `nbf`, in seconds.
    public let leewaySeconds: Int

    private let keysByID: [String: PublicKey]

    /// - Parameters:
    ///   - keys: the current public key and any retired ones whose tokens may still be live.
    ///   - issuer: the expected `iss`.
    ///   - leewaySeconds: clock skew tolerated on time claims.
    public init(keys: [PublicKey], issuer: String, leewaySeconds: Int = 30) {
        precondition(leewaySeconds >= 0, "leewaySeconds must not be negative")
        self.keys = keys
        self.issuer = issuer
        self.leewaySeconds = leewaySeconds
        // First key wins on a (practically impossible) kid collision.
        self.keysByID = Dictionary(keys.map { ($0.kid, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The claims of `token` if it is well-formed, EdDSA-signed by one of ``keys``, issued by
    /// ``issuer`` and valid at `now` (± leeway).
    public func verify(_ token: String, now: Date) throws(TokenError) -> AccessTokenClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumTokenLength else { throw .malformed }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed }

        // Header first: it decides whether we look any further.
        let header = try Self.decodeObject(parts[0])
        guard header["alg"] == .string("EdDSA") else { throw .unsupportedAlgorithm }
        guard header["crit"] == nil else { throw .unsupportedCriticalHeader }
        let candidates: [PublicKey]
        switch header["kid"] {
        case nil: candidates = keys
        case .string(let kid)?:
            guard let key = keysByID[kid] else { throw .unknownKey }
            candidates = [key]
        default: throw .malformed
        }

        // Signature before claims: nothing unauthenticated is interpreted beyond the header.
        guard let signature = Self.decode(parts[2]) else { throw .malformed }
        let signingInput = Array(bytes[parts[0].startIndex..<parts[1].endIndex])
        guard candidates.contains(where: { $0.verify(signature: signature, of: signingInput) }) else {
            throw .badSignature
        }

        let payload = try Self.decodeObject(parts[1])
        let claims = try AccessTokenClaims(json: payload)
        guard claims.iss == issuer else { throw .wrongIssuer }

        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let leeway = Int64(leewaySeconds)
        // Compare on the `now` side so hostile extreme claim values cannot overflow.
        guard nowSeconds - leeway < claims.exp else { throw .expired }
        guard claims.iat <= nowSeconds + leeway else { throw .notYetValid }
        if let nbf = payload["nbf"] {
            guard let nbfSeconds = nbf.intValue else { throw .invalidClaims }
            guard nbfSeconds <= nowSeconds + leeway else { throw .notYetValid }
        }
        return claims
    }

    private static func decode(_ segment: ArraySlice<UInt8>) -> [UInt8]? {
        Base64URL.decode(String(decoding: segment, as: UTF8.self))
    }

    private static func decodeObject(_ segment: ArraySlice<UInt8>) throws(TokenError) -> JSONValue {
        guard let json = decode(segment) else { throw .malformed }
        let value: JSONValue
        do { value = try JSONParser.parse(json) } catch { throw .malformed }
        guard case .object = value else { throw .malformed }
        return value
    }
}
