import TideModel

/// One level of a policy: keys that must all match, and `$or` groups of which one branch each
/// must match.
struct PolicyClause: Sendable, Hashable {
    var leaves: [PolicyLeaf] = []
    /// Each element is one `$or` array: the clause passes a group when any of its branches does.
    var alternatives: [[PolicyClause]] = []

    func matches(_ event: JSONValue) -> Bool {
        leaves.allSatisfy { $0.matches(event) }
            && alternatives.allSatisfy { group in group.contains { $0.matches(event) } }
    }

    /// SNS's count: per branch of `$or`, the product over its keys of (values × nesting depth);
    /// branches add up. Computed without expanding the branches (saturating, so a huge policy
    /// cannot overflow on its way to being refused).
    var combinations: Int {
        var total = 1
        for leaf in leaves { total = Self.saturating(total, times: leaf.matchers.count * leaf.keys.count) }
        for group in alternatives {
            let sum = group.reduce(0) { Self.saturating($0, plus: $1.combinations) }
            total = Self.saturating(total, times: sum)
        }
        return total
    }

    /// The most leaf keys any one `$or` branch tests.
    var maximumKeyCount: Int {
        leaves.count + alternatives.reduce(0) { $0 + ($1.map(\.maximumKeyCount).max() ?? 0) }
    }

    private static let ceiling = 1 << 40
    private static func saturating(_ a: Int, times b: Int) -> Int { min(ceiling, a * min(b, ceiling)) }
    private static func saturating(_ a: Int, plus b: Int) -> Int { min(ceiling, a + b) }
}

/// One tested key: the event's values at `keys`, against any of `matchers`.
struct PolicyLeaf: Sendable, Hashable {
    var keys: [String]
    var matchers: [Matcher]

    func matches(_ event: JSONValue) -> Bool {
        var values: [JSONValue] = []
        Self.collect(keys[...], in: event, into: &values)
        return matchers.contains { matcher in
            if case .exists(let wanted) = matcher { return values.isEmpty != wanted }
            return values.contains { matcher.matches($0) }
        }
    }

    /// The scalar values at a key path. Arrays anywhere on the path stand for each of their
    /// elements (an array matches when any element does); an object is not a value.
    static func collect(_ keys: ArraySlice<String>, in value: JSONValue, into values: inout [JSONValue]) {
        switch value {
        case .array(let elements):
            for element in elements { collect(keys, in: element, into: &values) }
        case .object(let members):
            guard let key = keys.first, let child = members[key] else { return }
            collect(keys.dropFirst(), in: child, into: &values)
        default:
            if keys.isEmpty { values.append(value) }
        }
    }
}
