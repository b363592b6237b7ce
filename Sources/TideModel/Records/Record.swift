/// One stored record with the metadata the server maintains for it.
public struct Record: Sendable, Hashable {
    public var id: String
    /// Starts at 1; +1 per accepted write. Set only by the server.
    public var version: Int64
    /// A tombstone: deleted, kept for delta sync until the retention passes.
    public var deleted: Bool
    /// Epoch milliseconds of the last accepted write.
    public var lastChangedAt: Int64
    /// ISO-8601 (AWSDateTime) creation and update times.
    public var createdAt: String
    public var updatedAt: String
    /// The model's own fields (not `id`), absent keys meaning null.
    public var fields: [String: JSONValue]

    public init(
        id: String, version: Int64, deleted: Bool, lastChangedAt: Int64, createdAt: String, updatedAt: String,
        fields: [String: JSONValue]
    ) {
        self.id = id
        self.version = version
        self.deleted = deleted
        self.lastChangedAt = lastChangedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.fields = fields
    }

    /// The metadata every record carries, which selections, filters and feed images name like
    /// fields.
    public enum Meta: Sendable, Hashable, CaseIterable {
        case id, version, deleted, lastChangedAt, createdAt, updatedAt

        /// The property a GraphQL field name denotes, `createdAtField`/`updatedAtField` naming the
        /// managed timestamps; nil for a model field.
        public init?(field: String, createdAtField: String?, updatedAtField: String?) {
            switch field {
            case MetaField.id: self = .id
            case MetaField.version: self = .version
            case MetaField.deleted: self = .deleted
            case MetaField.lastChangedAt: self = .lastChangedAt
            case createdAtField: self = .createdAt
            case updatedAtField: self = .updatedAt
            default: return nil
            }
        }
    }

    /// The value of one metadata property.
    public func value(of meta: Meta) -> JSONValue {
        switch meta {
        case .id: .string(id)
        case .version: .int(version)
        case .deleted: .bool(deleted)
        case .lastChangedAt: .int(lastChangedAt)
        case .createdAt: .string(createdAt)
        case .updatedAt: .string(updatedAt)
        }
    }

    /// Metadata field names as GraphQL exposes them.
    public enum MetaField {
        public static let id = "id"
        public static let version = "_version"
        public static let deleted = "_deleted"
        public static let lastChangedAt = "_lastChangedAt"
    }

    /// All values by their GraphQL field name, metadata included: what filters, conditions and
    /// feed images see. `createdAtField`/`updatedAtField` name the managed timestamps.
    public func values(createdAtField: String? = "createdAt", updatedAtField: String? = "updatedAt") -> [String: JSONValue] {
        var all = fields
        all[MetaField.id] = .string(id)
        all[MetaField.version] = .int(version)
        all[MetaField.deleted] = .bool(deleted)
        all[MetaField.lastChangedAt] = .int(lastChangedAt)
        if let createdAtField { all[createdAtField] = .string(createdAt) }
        if let updatedAtField { all[updatedAtField] = .string(updatedAt) }
        return all
    }

    /// The inverse of ``values(createdAtField:updatedAtField:)``: a record from a change-feed
    /// image. Nil when the image lacks the metadata every image carries.
    public init?(image: [String: JSONValue], createdAtField: String? = "createdAt", updatedAtField: String? = "updatedAt") {
        guard case .string(let id)? = image[MetaField.id], case .int(let version)? = image[MetaField.version] else {
            return nil
        }
        var fields = image
        for name in [MetaField.id, MetaField.version, MetaField.deleted, MetaField.lastChangedAt, createdAtField, updatedAtField] {
            if let name { fields.removeValue(forKey: name) }
        }
        self.init(
            id: id, version: version, deleted: image[MetaField.deleted] == .bool(true),
            lastChangedAt: image[MetaField.lastChangedAt]?.intValue ?? 0,
            createdAt: createdAtField.flatMap { image[$0]?.stringValue } ?? "",
            updatedAt: updatedAtField.flatMap { image[$0]?.stringValue } ?? "",
            fields: fields)
    }
}
