import Foundation

/// A user account as stored. `passwordHash` is the Argon2id string; never log it or send it out.
public struct IdentityUser: Sendable, Hashable {
    /// Stable id: the access token's `sub`.
    public var id: String
    /// Unique case-insensitively; stored as first spelled.
    public var username: String
    public var passwordHash: String
    public var email: String?
    public var phone: String?
    public var createdAt: Date
    /// Group names, sorted.
    public var groups: [String]
    /// When a group was last added or removed (epoch ms; 0: never).
    public var groupsChangedAt: Int64

    public init(
        id: String, username: String, passwordHash: String, email: String? = nil, phone: String? = nil,
        createdAt: Date, groups: [String] = [], groupsChangedAt: Int64 = 0
    ) {
        self.groupsChangedAt = groupsChangedAt
        self.id = id
        self.username = username
        self.passwordHash = passwordHash
        self.email = email
        self.phone = phone
        self.createdAt = createdAt
        self.groups = groups
    }
}

/// A refresh-token session to store: one token of a family (the chain of rotations that started
/// at one login).
public struct IdentitySession: Sendable, Hashable {
    /// Hash of the refresh token (the token itself is never stored).
    public var tokenHash: String
    public var familyID: String
    public var userID: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: String, familyID: String, userID: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.familyID = familyID
        self.userID = userID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// What ``IdentityStore/rotateSession(presentedHash:replacementHash:now:expiresAt:)`` did with a presented
/// refresh token.
public enum SessionRotation: Sendable, Hashable {
    /// The token was live: it is now used and its replacement is stored in the same family.
    case rotated(userID: String)
    /// The token had already been used: the whole family is now revoked, replacement not stored.
    case reused(userID: String, familyID: String)
    /// Unknown, revoked or expired: nothing changed.
    case rejected
}

/// An API key as stored; the secret exists only as `secretHash`.
public struct IdentityAPIKey: Sendable, Hashable {
    /// Public id, the middle part of the key.
    public var id: String
    public var secretHash: String
    public var name: String
    public var createdAt: Date
    /// `nil`: never expires.
    public var expiresAt: Date?
    public var revokedAt: Date?

    public init(id: String, secretHash: String, name: String, createdAt: Date, expiresAt: Date?, revokedAt: Date? = nil) {
        self.id = id
        self.secretHash = secretHash
        self.name = name
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}

/// An access-token signing key as stored. At most one is current (`retiredAt == nil`).
public struct IdentitySigningKey: Sendable, Hashable {
    public var kid: String
    /// The encoded secret key, opaque to the store. Never log it.
    public var secretKey: String
    public var createdAt: Date
    public var retiredAt: Date?

    public init(kid: String, secretKey: String, createdAt: Date, retiredAt: Date? = nil) {
        self.kid = kid
        self.secretKey = secretKey
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}
