import TideSQLite

/// Everything ``IdentityService`` throws. Each case maps to one HTTP status (see `AuthRoutes`);
/// descriptions never contain passwords, tokens, keys or hashes.
public enum IdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A malformed username, password, email, phone, group or name (HTTP 400).
    case invalidInput(String)
    /// Sign-up or `users add` with a username that exists in any letter case (HTTP 409).
    case usernameTaken
    /// Unknown username or wrong password: deliberately one case (HTTP 401).
    case invalidCredentials
    /// A refresh token that is unknown, expired, revoked or reused (HTTP 401).
    case invalidRefreshToken
    /// An access token or API key that does not authenticate; `reason` is for logs (HTTP 401).
    case unauthenticated(reason: String)
    /// An admin command named a user or API key that does not exist (HTTP 404).
    case notFound(String)
    /// A key-envelope write whose expected version is not the stored one (HTTP 409).
    case versionConflict(current: Int64)
    /// The identity database failed (HTTP 500).
    case storage(String)

    public var description: String {
        switch self {
        case .invalidInput(let message): message
        case .usernameTaken: "the username is taken"
        case .invalidCredentials: "invalid username or password"
        case .invalidRefreshToken: "the refresh token is invalid, expired or revoked"
        case .unauthenticated(let reason): reason
        case .notFound(let what): "\(what) not found"
        case .versionConflict(let current): "the stored version is \(current)"
        case .storage(let message): "identity storage failed: \(message)"
        }
    }
}

/// Runs a store call, turning its error into ``IdentityError/storage(_:)``.
@discardableResult
func storage<T>(_ body: @autoclosure () throws(SQLiteError) -> T) throws(IdentityError) -> T {
    do {
        return try body()
    } catch {
        throw .storage(error.description)
    }
}
