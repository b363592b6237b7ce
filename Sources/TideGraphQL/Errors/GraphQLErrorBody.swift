import GraphQL
import TideModel

/// The `extensions.code` values Tidewater answers with (ARCHITECTURE §3), over HTTP and on
/// WebSocket `error` messages alike: every code is written from this enum, never as a literal.
public enum ErrorCode: String, Sendable {
    case unauthenticated = "UNAUTHENTICATED"
    case forbidden = "FORBIDDEN"
    case badUserInput = "BAD_USER_INPUT"
    case notFound = "NOT_FOUND"
    case conditionFailed = "CONDITION_FAILED"
    case conflictUnhandled = "ConflictUnhandled"
    case rateLimited = "RATE_LIMITED"
    case internalError = "INTERNAL"
    case graphQLParseFailed = "GRAPHQL_PARSE_FAILED"
    case graphQLValidationFailed = "GRAPHQL_VALIDATION_FAILED"
    case operationNotSupported = "OPERATION_NOT_SUPPORTED"
    /// A request body that is not a GraphQL-over-HTTP request (malformed JSON, wrong shape).
    case badRequest = "BAD_REQUEST"
    /// A WebSocket `subscribe` past the connection's operation limit.
    case limitExceeded = "LIMIT_EXCEEDED"
    /// A `resumeFrom` the change feed can no longer (or not yet) replay from: delta sync first.
    case resumeTooOld = "RESUME_TOO_OLD"
    /// `searchXs(minSeq:)` timed out waiting for the search index (retry later).
    case searchIndexBehind = "SEARCH_INDEX_BEHIND"
    /// The disk holding the data folder is full: the write was not saved (retry once an
    /// operator has freed space; docs/OPERATIONS.md).
    case storageFull = "STORAGE_FULL"
    /// `__schema` or `__type` on a server whose introspection is off.
    case introspectionDisabled = "INTROSPECTION_DISABLED"
}

/// One entry of a response's `errors` list.
struct GraphQLErrorBody: Error, Sendable {
    var message: String
    var locations: [Position]
    var path: [PathComponent]
    var code: ErrorCode
    /// Extra `extensions` members (e.g. `data` with the current record of a conflict).
    var extraExtensions: [(String, JSONValue)]

    enum PathComponent: Sendable {
        case key(String)
        case index(Int)
    }

    /// Messages quote names and values from the request, which can be as large as the
    /// request: past this many bytes a message is cut (values are quoted as previews already).
    static let maxMessageBytes = 1000

    init(
        message: String, locations: [Position] = [], path: [PathComponent] = [], code: ErrorCode,
        extensions: [(String, JSONValue)] = []
    ) {
        self.message = message.preview(limit: Self.maxMessageBytes)
        self.locations = locations
        self.path = path
        self.code = code
        self.extraExtensions = extensions
    }

    init(_ error: GraphQLError, code: ErrorCode) {
        self.init(
            message: error.message,
            locations: error.locations.map { Position(line: $0.line, column: $0.column) },
            code: code)
    }

    func write(to w: inout JSONWriter) {
        w.raw("{")
        w.key("message")
        w.string(message)
        if !locations.isEmpty {
            w.raw(",")
            w.key("locations")
            w.raw("[")
            for (i, l) in locations.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{\"line\":")
                w.int(Int64(l.line))
                w.raw(",\"column\":")
                w.int(Int64(l.column))
                w.raw("}")
            }
            w.raw("]")
        }
        if !path.isEmpty {
            w.raw(",")
            w.key("path")
            w.raw("[")
            for (i, p) in path.enumerated() {
                if i > 0 { w.raw(",") }
                switch p {
                case .key(let k): w.string(k)
                case .index(let n): w.int(Int64(n))
                }
            }
            w.raw("]")
        }
        w.raw(",")
        w.key("extensions")
        w.raw("{")
        w.key("code")
        w.string(code.rawValue)
        for (key, value) in extraExtensions {
            w.raw(",")
            w.key(key)
            w.write(value)
        }
        w.raw("}}")
    }
}

/// Why a request produced no data at all (spec: a "request error").
enum GraphQLFailure: Error, Sendable {
    /// Parse or validation errors of the document.
    case validation([GraphQLErrorBody])
    /// Any other request error (operation selection, variable coercion, limits).
    case request(message: String, code: ErrorCode)

    var errors: [GraphQLErrorBody] {
        switch self {
        case .validation(let errors): errors
        case .request(let message, let code): [GraphQLErrorBody(message: message, code: code)]
        }
    }
}
