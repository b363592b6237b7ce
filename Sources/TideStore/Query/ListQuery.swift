import TideModel

/// One page request of a `list`: an optional filter, an optional index query, order, size and
/// the cursor to continue after.
public struct ListQuery: Sendable, Hashable {
    public var filter: FilterExpression?
    /// nil: primary order (by `id`), unless the filter pins an indexed hash field with `eq`.
    public var index: IndexQuery?
    public var descending: Bool = false
    /// Records per page; the caller caps it (≤ 1000).
    public var limit: Int
    public var after: Cursor?
    /// Return tombstones too (delta sync).
    public var includeDeleted: Bool = false

    public init(
        filter: FilterExpression? = nil, index: IndexQuery? = nil, descending: Bool = false, limit: Int = 100,
        after: Cursor? = nil, includeDeleted: Bool = false
    ) {
        self.filter = filter
        self.index = index
        self.descending = descending
        self.limit = limit
        self.after = after
        self.includeDeleted = includeDeleted
    }
}

/// A query by a secondary index (`@index`): the hash key value and an optional condition on
/// the sort key fields. Records lacking a sort key value are not in the index (as in DynamoDB).
public struct IndexQuery: Sendable, Hashable {
    public var indexName: String
    /// The hash key value. (Not named `hashValue`: a stored `hashValue` of another type breaks
    /// the `Hashable` conformance in batch-mode builds; the initializer keeps that label.)
    public var hashKey: JSONValue
    public var sortCondition: SortKeyCondition?

    public init(indexName: String, hashValue: JSONValue, sortCondition: SortKeyCondition? = nil) {
        self.indexName = indexName
        self.hashKey = hashValue
        self.sortCondition = sortCondition
    }
}

/// Conditions over the index's sort key fields, compared as a tuple on the given prefix of
/// sort-key values (composite keys as Amplify's composite key conditions).
public enum SortKeyCondition: Sendable, Hashable {
    case eq([JSONValue]), le([JSONValue]), lt([JSONValue]), ge([JSONValue]), gt([JSONValue])
    case between([JSONValue], [JSONValue])
    /// All but the last compared with `=`, the last is a string prefix.
    case beginsWith([JSONValue])
}

/// One page of records; `next` is nil on the last page.
public struct ListPage: Sendable {
    public var records: [Record]
    public var next: Cursor?

    public init(records: [Record], next: Cursor?) {
        self.records = records
        self.next = next
    }
}

/// Where a page ended: the last record's sort values and id in the page's ordering.
///
/// `order` names the ordering (`"pk"` or the index name) so that a cursor from another
/// ordering is rejected. Encodes `values` as one JSON text string, e.g.
/// `{"order":"byPost","values":"[\"2026-01-01T00:00:00.000Z\"]","id":"c1"}`.
public struct Cursor: Sendable, Hashable, Codable {
    public var order: String
    public var values: [JSONValue]
    public var id: String

    public init(order: String, values: [JSONValue], id: String) {
        self.order = order
        self.values = values
        self.id = id
    }

    /// The ordering name of the primary key.
    public static let primaryOrder = "pk"

    private enum CodingKeys: String, CodingKey { case order, values, id }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        order = try container.decode(String.self, forKey: .order)
        id = try container.decode(String.self, forKey: .id)
        let text = try container.decode(String.self, forKey: .values)
        guard case .array(let values) = try? JSONParser.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: .values, in: container, debugDescription: "values must be a JSON array")
        }
        self.values = values
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(order, forKey: .order)
        try container.encode(JSONValue.array(values).jsonString, forKey: .values)
        try container.encode(id, forKey: .id)
    }
}
