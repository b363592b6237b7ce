import Foundation

/// A user as admin commands show it: never the password hash.
public struct UserSummary: Sendable, Hashable {
    public var id: String
    public var username: String
    public var email: String?
    public var phone: String?
    /// Sorted group names.
    public var groups: [String]
    public var createdAt: Date
}
