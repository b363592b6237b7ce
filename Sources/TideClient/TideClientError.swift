/// Why a client call failed. Each case prints as one line a person can act on; `tide` maps the
/// kinds to its exit codes (``Kind``).
public enum TideClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A record that does not fit its model: an unknown field, a value of the wrong type, a
    /// required field missing. Nothing was written.
    case invalidRecord(String)
    /// A model the schema does not declare.
    case unknownModel(String)
    /// A filter or sort that does not fit the model. Nothing was read or written.
    case invalidQuery(String)
    /// An argument the call cannot use (an empty id, a bad URL).
    case invalidArgument(String)
    /// No user is signed in (or the session was signed out meanwhile).
    case notSignedIn
    /// The server refused the credentials (wrong password, revoked or reused refresh token).
    case authenticationFailed(String)
    /// The server could not be reached (connection refused, timed out, DNS).
    case serverUnreachable(String)
    /// The server answered with an error the call cannot get past (`code` is
    /// `extensions.code` or the HTTP status).
    case server(code: String, message: String)
    /// The schema is not known yet (never fetched, none given) or cannot be read.
    case schemaUnavailable(String)
    /// No record with this id (a retry or discard of an entry that is gone, a delete of an unknown id).
    case notFound(String)
    /// The local store failed (disk full, a corrupt file).
    case localStore(String)
    /// End-to-end encryption keys could not be set up, unlocked or changed (a wrong passphrase,
    /// no keys on the server yet, keys changed on another device). Nothing was changed.
    case encryption(String)

    /// Broad kinds, for exit codes and retry decisions.
    public enum Kind: Sendable {
        case badInput, notSignedIn, unreachable, failed
    }

    public var kind: Kind {
        switch self {
        case .invalidRecord, .unknownModel, .invalidQuery, .invalidArgument: .badInput
        case .notSignedIn, .authenticationFailed: .notSignedIn
        case .serverUnreachable: .unreachable
        case .server, .schemaUnavailable, .notFound, .localStore, .encryption: .failed
        }
    }

    public var description: String {
        switch self {
        case .invalidRecord(let why): why
        case .unknownModel(let name): "unknown model '\(name)'"
        case .invalidQuery(let why): why
        case .invalidArgument(let why): why
        case .notSignedIn: "not signed in: sign in first"
        case .authenticationFailed(let why): "the server refused the credentials: \(why)"
        case .serverUnreachable(let why): "server unreachable: \(why)"
        case .server(let code, let message): "server error \(code): \(message)"
        case .schemaUnavailable(let why): "schema unavailable: \(why)"
        case .notFound(let what): "not found: \(what)"
        case .localStore(let why): "local store: \(why)"
        case .encryption(let why): why
        }
    }
}
