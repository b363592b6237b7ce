/// Why key material could not be imported.
public enum KeyError: Error, Sendable, Equatable {
    /// The bytes have the wrong length for an Ed25519 key.
    case invalidLength
    /// A stored secret key whose embedded public half does not match its seed (corrupted file).
    case inconsistentKeyPair
    /// A JWK that is not an Ed25519 signing key (`kty` OKP, `crv` Ed25519, 32-byte `x`).
    case invalidJWK
}
