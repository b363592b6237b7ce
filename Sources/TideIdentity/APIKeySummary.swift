import Foundation

/// An API key as admin commands show it: never the secret nor its hash.
public struct APIKeySummary: Sendable, Hashable {
    /// The public id (`tw_<id>_…`).
    public var id: String
    public var name: String
    public var createdAt: Date
    /// `nil`: never expires.
    public var expiresAt: Date?
    public var revokedAt: Date?
}

/// A key just created: ``key`` is shown once and cannot be recovered later.
public struct NewAPIKey: Sendable, Hashable {
    /// The full key, `tw_<id>_<secret>`, to send as `x-api-key`.
    public var key: String
    public var summary: APIKeySummary
}
