import TideModel

/// What a resolver hands to the response writer.
enum OutputValue {
    case null
    /// A scalar, enum, list of those, or an embedded (non-model) object.
    case json(JSONValue)
    case record(Record)
    case records([Record])
    case connection(Connection)

    struct Connection {
        var items: [Record]
        var nextToken: String?
        var startedAt: Int64?
    }

    var isNull: Bool {
        switch self {
        case .null, .json(.null): true
        default: false
        }
    }
}
