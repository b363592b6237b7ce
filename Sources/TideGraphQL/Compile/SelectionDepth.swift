import GraphQL

/// The field depth of a document's selection sets, following fragment spreads, measured before
/// validation.
///
/// Fragments let a short document nest deeply: each of a thousand fragments can spread the
/// next, and GraphQLSwift's validation (`NoFragmentCyclesRule` follows spreads recursively) and
/// our compiler recurse once per step. This walk refuses a path that nests more than
/// `maxNesting` selection sets (fields with selections, inline fragments, spreads) before
/// anything else follows it, and gives the field depth that ``GraphQLLimits/maxDepth`` bounds.
/// Each fragment is measured once, so the walk is linear in the document; an unknown fragment
/// or a cycle is left to validation to report.
struct SelectionDepth {
    /// A path nests more than `maxNesting` selection sets; the UTF-8 offset of the set that
    /// went past it.
    struct TooDeep: Error {
        var offset: Int
    }

    private struct Measure {
        /// Fields along the deepest path.
        var depth: Int
        /// Selection sets along the most nested path, this one included.
        var nesting: Int
    }

    private let fragments: [String: FragmentDefinition]
    private let maxNesting: Int
    private var measured: [String: Measure] = [:]
    private var entered: Set<String> = []

    init(_ document: Document, maxNesting: Int) {
        var fragments: [String: FragmentDefinition] = [:]
        for case let fragment as FragmentDefinition in document.definitions {
            fragments[fragment.name.value] = fragment
        }
        self.fragments = fragments
        self.maxNesting = maxNesting
    }

    /// The field depth of an operation's or a fragment's selection set.
    mutating func depth(of set: SelectionSet) throws(TooDeep) -> Int {
        try measure(set, at: 1).depth
    }

    /// Recursion is at most `maxNesting` deep: `at` counts the sets entered on the way here.
    private mutating func measure(_ set: SelectionSet, at nesting: Int) throws(TooDeep) -> Measure {
        guard nesting <= maxNesting else { throw TooDeep(offset: set.loc?.start ?? 0) }
        var deepest = Measure(depth: 0, nesting: 1)
        for selection in set.selections {
            var inner: Measure
            switch selection {
            case let field as Field:
                inner = try field.selectionSet.map { set throws(TooDeep) in try measure(set, at: nesting + 1) } ?? Measure(depth: 0, nesting: 0)
                inner.depth += 1
            case let fragment as InlineFragment:
                inner = try measure(fragment.selectionSet, at: nesting + 1)
            case let spread as FragmentSpread:
                guard let spreadMeasure = try measure(spread, at: nesting + 1) else { continue }
                inner = spreadMeasure
            default:
                continue
            }
            deepest.depth = max(deepest.depth, inner.depth)
            deepest.nesting = max(deepest.nesting, inner.nesting + 1)
        }
        return deepest
    }

    private mutating func measure(_ spread: FragmentSpread, at nesting: Int) throws(TooDeep) -> Measure? {
        let name = spread.name.value
        if let known = measured[name] {
            // Measured elsewhere: its nesting still counts from here.
            guard nesting - 1 + known.nesting <= maxNesting else { throw TooDeep(offset: spread.loc?.start ?? 0) }
            return known
        }
        guard let fragment = fragments[name], entered.insert(name).inserted else { return nil }
        let inner = try measure(fragment.selectionSet, at: nesting)
        entered.remove(name)
        measured[name] = inner
        return inner
    }
}
