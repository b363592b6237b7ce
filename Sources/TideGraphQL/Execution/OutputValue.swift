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
        /// Reported in the response's top-level `extensions` under the field's response key
        /// (e.g. that a delta sync fell back to a base sync).
        var extensions: [String: JSONValue] = [:]
    }

    var isNull: Bool {
        switch self {
        case .null, .json(.null): true
        default: false
        }
    }
}
