import TideModel

/// A verified access token: whom it stands for and until when.
public struct VerifiedAccessToken: Sendable, Hashable {
    public var user: UserIdentity
    /// Epoch seconds from which the token is refused (its `exp` plus the verifier's leeway).
    public var expiresAt: Int64

    public init(user: UserIdentity, expiresAt: Int64) {
        self.user = user
        self.expiresAt = expiresAt
    }
}
