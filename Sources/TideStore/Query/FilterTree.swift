import TideModel

/// A Boolean tree of filter predicates, `and`/`or`/`not` over leaves: list filters
/// (``FilterExpression``) and search filters (``SearchFilter``) are both, and
/// ``SQLFragment/compile(_:leaf:)`` compiles their connectives in one place.
///
/// ```swift
/// extension MyFilter: FilterTree {
///     var node: FilterNode<MyFilter, MyLeaf> { … }
/// }
/// let fragment = try SQLFragment.compile(filter) { leaf throws(StoreError) in … }
/// ```
protocol FilterTree {
    associatedtype Leaf
    var node: FilterNode<Self, Leaf> { get }
}

/// One node of a ``FilterTree``.
enum FilterNode<Tree, Leaf> {
    case and([Tree])
    case or([Tree])
    case not(Tree)
    case leaf(Leaf)
}

extension SQLFragment {
    /// The tree's connectives as SQL, its leaves by `leaf`. An empty `and` is true, and so is an
    /// empty `or`, as ``FilterEvaluator`` treats it.
    static func compile<Tree: FilterTree>(_ tree: Tree, leaf: (Tree.Leaf) throws(StoreError) -> SQLFragment) throws(StoreError) -> SQLFragment {
        switch tree.node {
        case .and(let subs):
            var parts: [SQLFragment] = []
            for sub in subs { parts.append(try compile(sub, leaf: leaf)) }
            return .all(parts)
        case .or(let subs):
            if subs.isEmpty { return .true }
            var parts: [SQLFragment] = []
            for sub in subs { parts.append(try compile(sub, leaf: leaf)) }
            return .any(parts)
        case .not(let sub):
            return .not(try compile(sub, leaf: leaf))
        case .leaf(let value):
            return try leaf(value)
        }
    }
}

extension FilterExpression: FilterTree {
    var node: FilterNode<FilterExpression, (field: String, predicate: FieldPredicate)> {
        switch self {
        case .and(let subs): .and(subs)
        case .or(let subs): .or(subs)
        case .not(let sub): .not(sub)
        case .field(let name, let predicate): .leaf((name, predicate))
        }
    }
}

extension SearchFilter: FilterTree {
    /// A search filter's predicates: an ordinary comparison, or full text on one field.
    enum Leaf {
        case compare(FilterExpression)
        case text(field: String, TextQuery)
    }

    var node: FilterNode<SearchFilter, Leaf> {
        switch self {
        case .and(let subs): .and(subs)
        case .or(let subs): .or(subs)
        case .not(let sub): .not(sub)
        case .compare(let expression): .leaf(.compare(expression))
        case .text(let field, let text): .leaf(.text(field: field, text))
        }
    }
}
