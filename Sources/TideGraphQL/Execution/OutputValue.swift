import TideModel

/// What a resolver hands to the response writer.
enum OutputValue {
    case null
    /// A scalar, enum, list of those, or an embedded (non-model) object.
    case json(JSONValue)
    case record(Record)
    case records([Record])
    case connection(Connection)
    /// An object of a union's member type (the type name, its fields).
    case member(String, [String: JSONValue])

    struct Connection {
        var items: [Record]
        var nextToken: String?
        var startedAt: Int64?
        /// `searchXs`: the count of every match, and `aggregateItems` as JSON objects.
        var total: Int?
        var aggregateItems: [OutputValue] = []
    }

    var isNull: Bool {
        switch self {
        case .null, .json(.null): true
        default: false
        }
    }
}
