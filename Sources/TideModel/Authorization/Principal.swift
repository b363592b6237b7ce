/// Who is making a request, as established by the transport from its credentials.
///
/// `@auth` rules (ARCHITECTURE §2) are evaluated against a principal: owner and dynamic-group
/// rules compare record fields with the user's id, username and groups; `private` admits any
/// user; `public` admits a valid API key.
public enum Principal: Sendable, Hashable {
    /// No credentials were sent.
    case anonymous
    /// A signed-in user (a verified access token).
    case user(UserIdentity)
    /// A valid API key, by its public id (never the secret).
    case apiKey(id: String)

    /// Recorded as the change-feed actor of the principal's writes: `user:<id>`,
    /// `apikey:<id>` or `anonymous`.
    public var actor: String {
        switch self {
        case .anonymous: "anonymous"
        case .user(let user): "user:\(user.id)"
        case .apiKey(let id): "apikey:\(id)"
        }
    }

    /// The signed-in user, if any.
    public var user: UserIdentity? {
        if case .user(let user) = self { return user }
        return nil
    }
}

/// The claims of a verified access token that authorization needs.
public struct UserIdentity: Sendable, Hashable {
    /// The user's stable id (the token's `sub`).
    public var id: String
    public var username: String
    /// Group names as of the token's issue (group changes arrive with the next login or refresh).
    public var groups: [String]
    /// When those groups last changed (epoch ms; 0: never).
    public var groupsChangedAt: Int64

    public init(id: String, username: String, groups: [String], groupsChangedAt: Int64 = 0) {
        self.id = id
        self.username = username
        self.groups = groups
        self.groupsChangedAt = groupsChangedAt
    }
}
