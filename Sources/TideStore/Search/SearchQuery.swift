import TideModel

/// A `searchXs` request as the store runs it (ARCHITECTURE §10.1): a filter mixing full-text
/// predicates with ordinary comparisons, an order, a page and aggregates. The caller (the
/// engine) has already AND-ed the `@auth` read rules into ``filter`` and guarded comparisons
/// on protected fields, exactly as for `list`; ``fieldGuards`` does the same for sort keys and
/// aggregates.
public struct SearchQuery: Sendable, Hashable {
    public var filter: SearchFilter?
    /// Sort keys in order; empty: by relevance when the filter has a text predicate, else by id.
    public var sort: [SearchSort]
    public var limit: Int
    /// Records to skip before the page (OpenSearch's `from`).
    public var offset: Int
    /// Continue after this position (field order); nil for the first page.
    public var after: SearchCursor?
    /// Only these records (a frozen relevance order's next ids); the page keeps their order.
    public var ids: [String]?
    /// Count every match (`total`).
    public var countTotal: Bool
    public var aggregates: [SearchAggregate]
    /// For a field the caller may read only on some records: the records where it is visible.
    /// Sort keys and aggregates see NULL elsewhere (`.nothing`: hidden everywhere).
    public var fieldGuards: [String: FilterExpression]

    public init(
        filter: SearchFilter? = nil, sort: [SearchSort] = [], limit: Int = 100, offset: Int = 0, after: SearchCursor? = nil,
        ids: [String]? = nil, countTotal: Bool = false, aggregates: [SearchAggregate] = [],
        fieldGuards: [String: FilterExpression] = [:]
    ) {
        self.filter = filter
        self.sort = sort
        self.limit = limit
        self.offset = offset
        self.after = after
        self.ids = ids
        self.countTotal = countTotal
        self.aggregates = aggregates
        self.fieldGuards = fieldGuards
    }

    /// Whether the page is ordered by relevance (BM25).
    public var ranked: Bool { sort.isEmpty && (filter?.hasPositiveText ?? false) }
}

/// A search filter: `and`/`or`/`not` over ordinary comparisons (``FilterExpression``, compiled
/// exactly as list filters are) and full-text predicates on `@searchable` fields.
public indirect enum SearchFilter: Sendable, Hashable {
    case and([SearchFilter])
    case or([SearchFilter])
    case not(SearchFilter)
    case compare(FilterExpression)
    case text(field: String, TextQuery)

    /// Whether a text predicate appears outside every `not` (so it can rank).
    public var hasPositiveText: Bool {
        switch self {
        case .and(let subs), .or(let subs): subs.contains(where: \.hasPositiveText)
        case .not, .compare: false
        case .text: true
        }
    }
}

/// What a text predicate looks for; the words come from ``SearchText``.
public enum TextQuery: Sendable, Hashable {
    /// Any of the words (`match`: OR, ranked).
    case anyWord([String])
    /// The words adjacent and in order (`matchPhrase`).
    case phrase([String])
    /// A phrase whose last word is a prefix (`matchPhrasePrefix`).
    case phrasePrefix([String])
    /// A word starting with this (`wildcard: "abc*"`).
    case prefix(String)
}

public struct SearchSort: Sendable, Hashable {
    public var field: String
    public var descending: Bool

    public init(field: String, descending: Bool) {
        self.field = field
        self.descending = descending
    }
}

/// Where a field-ordered page ended: the last record's sort values (as the caller may see
/// them) and id.
public struct SearchCursor: Sendable, Hashable {
    public var values: [JSONValue]
    public var id: String

    public init(values: [JSONValue], id: String) {
        self.values = values
        self.id = id
    }
}

public struct SearchAggregate: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case terms, min, max, avg, sum
    }

    public var name: String
    public var kind: Kind
    public var field: String

    public init(name: String, kind: Kind, field: String) {
        self.name = name
        self.kind = kind
        self.field = field
    }
}

/// One aggregate's answer.
public enum AggregateResult: Sendable, Hashable {
    /// `min max avg sum`; nil when no record has a value.
    case value(Double?)
    /// `terms`: up to 10 (key, count), most frequent first.
    case buckets([(key: String, count: Int)])

    public static func == (a: AggregateResult, b: AggregateResult) -> Bool {
        switch (a, b) {
        case (.value(let x), .value(let y)): x == y
        case (.buckets(let x), .buckets(let y)): x.map(\.key) == y.map(\.key) && x.map(\.count) == y.map(\.count)
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .value(let v): hasher.combine(v)
        case .buckets(let b): for (k, c) in b { hasher.combine(k); hasher.combine(c) }
        }
    }
}

/// One page of search results.
public struct SearchPage: Sendable {
    public var records: [Record]
    /// Set when the query orders by fields and more records follow.
    public var next: SearchCursor?
    /// For a ranked first page: the ids after this page in relevance order (up to the window),
    /// to freeze the order for the following pages.
    public var rankedRest: [String]
    public var total: Int?
    public var aggregates: [(name: String, result: AggregateResult)]

    public init(
        records: [Record], next: SearchCursor? = nil, rankedRest: [String] = [], total: Int? = nil,
        aggregates: [(name: String, result: AggregateResult)] = []
    ) {
        self.records = records
        self.next = next
        self.rankedRest = rankedRest
        self.total = total
        self.aggregates = aggregates
    }
}
