import TideModel

/// The search index database (`<data>/search.sqlite`, ARCHITECTURE §10.1): the contract
/// between its writer (the indexer in TideFeed) and its reader (``Store/search``, which
/// ATTACHes it to a read connection and joins it with the model tables).
///
/// Per `@searchable` model: an FTS5 table `fts_<Model>` (tokenizer `unicode61
/// remove_diacritics 2`) with one column per indexed field, `c0`, `c1`, … in `fields:` order,
/// and a table `docs_<Model>` mapping the FTS rowid to the record id and the version indexed.
/// `_search_state` holds the feed position the index has applied through; `_search_models`
/// the field list each model was indexed with (a change rebuilds that model).
public struct SearchIndexLayout: Sendable, Hashable {
    public static let fileName = "search.sqlite"
    /// The schema name the index is attached under.
    public static let schemaName = "search"
    public static let tokenizer = "unicode61 remove_diacritics 2"

    public let model: String
    public let fields: [String]

    public init(model: ModelType) {
        self.model = model.name
        self.fields = model.searchableFields ?? []
    }

    public var ftsTable: String { "fts_\(model)" }
    public var docsTable: String { "docs_\(model)" }

    /// The FTS column of an indexed field (`c0` …), nil for a field that is not indexed.
    public func column(of field: String) -> String? {
        fields.firstIndex(of: field).map { "c\($0)" }
    }

    /// The text a field value contributes: strings as they are, list items joined by newlines,
    /// numbers and Booleans as JSON.
    public static func text(_ value: JSONValue?) -> String? {
        switch value {
        case nil, .null?: nil
        case .string(let s)?: s
        case .array(let items)?: items.compactMap { text($0) }.joined(separator: "\n")
        case let other?: other.jsonString
        }
    }

    /// `path` in `directory`.
    public static func path(in directory: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }
}
