import TideModel

/// One value or operator of a policy key.
enum Matcher: Sendable, Hashable {
    case equals(PolicyLiteral)
    case prefix(String)
    case suffix(String)
    case equalsIgnoreCase(String)
    case anythingBut([PolicyLiteral])
    case anythingButPrefix(String)
    case numeric(NumericRange)
    case exists(Bool)
    case cidr(CIDRBlock)

    /// Whether one scalar event value matches (`exists` is decided by the leaf, on presence).
    func matches(_ value: JSONValue) -> Bool {
        switch self {
        case .equals(let literal): literal.matches(value)
        case .prefix(let p): value.stringValue?.hasPrefix(p) ?? false
        case .suffix(let s): value.stringValue?.hasSuffix(s) ?? false
        case .equalsIgnoreCase(let s): value.stringValue.map { $0.lowercased() == s.lowercased() } ?? false
        case .anythingBut(let literals): !literals.contains { $0.matches(value) }
        case .anythingButPrefix(let p): value.stringValue.map { !$0.hasPrefix(p) } ?? false
        case .numeric(let range): value.numberValue.map(range.contains) ?? false
        case .exists: false
        case .cidr(let block): value.stringValue.map(block.contains) ?? false
        }
    }
}

/// An exact value of a policy: strings match strings (case-sensitive), numbers match numbers
/// equal to five decimal places (`301.5` matches `3.015e2`), and `true`, `false`, `null`
/// match themselves.
enum PolicyLiteral: Sendable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    func matches(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.string(let a), .string(let b)): a == b
        case (.number(let a), _): value.numberValue.map { PolicyLimits.quantize($0) == a } ?? false
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }
}

/// `numeric`: `=`, one bound, or a range with a lower bound first and an upper bound second.
struct NumericRange: Sendable, Hashable {
    var lower: Double?
    var lowerInclusive = false
    var upper: Double?
    var upperInclusive = false

    func contains(_ number: Double) -> Bool {
        let n = PolicyLimits.quantize(number)
        if let lower, lowerInclusive ? n < lower : n <= lower { return false }
        if let upper, upperInclusive ? n > upper : n >= upper { return false }
        return true
    }
}
