/// Why ``AccessTokenVerifier/verify(_:now:)`` rejected a token.
///
/// The server answers every case with the same UNAUTHENTICATED error; the cases exist for logs and
/// tests. Descriptions never include token contents.
public enum TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not three base64url segments of JSON objects, or oversized.
    case malformed
    /// Header `alg` missing or anything but exactly `EdDSA` (`none`, `HS256`, `RS256`, …).
    case unsupportedAlgorithm
    /// Header carries a `crit` list: no extensions are understood, so RFC 7515 requires rejection.
    case unsupportedCriticalHeader
    /// Header `kid` names no key this verifier holds (e.g. a key retired after rotation).
    case unknownKey
    /// The signature does not verify under any candidate key.
    case badSignature
    /// `iss` differs from the expected issuer.
    case wrongIssuer
    /// `exp` is past, beyond the leeway.
    case expired
    /// `iat` (or `nbf`) is in the future, beyond the leeway.
    case notYetValid
    /// A required claim is missing or has the wrong JSON type.
    case invalidClaims

    public var description: String {
        switch self {
        case .malformed: "access token is malformed"
        case .unsupportedAlgorithm: "access token algorithm is not accepted"
        case .unsupportedCriticalHeader: "access token has unsupported critical headers"
        case .unknownKey: "access token key is unknown"
        case .badSignature: "access token signature is invalid"
        case .wrongIssuer: "access token issuer is not accepted"
        case .expired: "access token has expired"
        case .notYetValid: "access token is not yet valid"
        case .invalidClaims: "access token claims are invalid"
        }
    }
}
