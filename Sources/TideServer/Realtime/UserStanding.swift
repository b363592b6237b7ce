import TideModel

/// Where a signed-in user stands now by the identity database, compared with the groups a
/// connection acts with (those of the token's login, or of the last check).
enum UserStanding: Sendable {
    case unchanged
    /// The user's groups changed: act with these from now on.
    case regrouped(UserIdentity)
    case removed
}
