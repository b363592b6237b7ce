import TideModel

/// An Amazon SNS subscription filter policy with message-body scope, applied to a JSON event.
///
/// The policy is checked when it is made (SNS's operators, their argument forms and its
/// documented limits: five keys, 150 combinations, numbers within ±10⁹, 256 KiB), so a policy
/// that exists always evaluates; evaluation never throws.
///
/// Semantics as SNS documents them: every key of the policy must match (AND); a key matches
/// when any of its values or operators matches (OR); an array in the event matches when any of
/// its elements does; nested objects in the policy follow nested objects in the event; `$or`
/// holds alternative sub-policies.
///
/// ```swift
/// let policy = try FilterPolicy(["new": ["content": [["prefix": "urgent"]]]])
/// policy.matches(["op": "create", "new": ["content": "urgent: call back"]])   // true
/// ```
public struct FilterPolicy: Sendable, Hashable {
    let root: PolicyClause

    /// The policy's complexity as SNS counts it (at most ``PolicyLimits/maxCombinations``).
    public let combinations: Int

    /// Every key path the policy tests, with where it is written in the policy, so a caller can
    /// check the names against a schema and point at the place.
    public let keyPaths: [KeyPath]

    /// A key path the policy tests (`["new", "content"]`) and the path of its value in the policy
    /// document (which includes the `$or` array and its index).
    public struct KeyPath: Sendable, Hashable {
        public var keys: [String]
        public var location: [PolicyPathComponent]
    }

    /// Checks and compiles a policy.
    /// - Throws: ``FilterPolicyError`` naming the place in the policy and the reason.
    public init(_ document: JSONValue) throws(FilterPolicyError) {
        let size = document.jsonBytes.count
        guard size <= PolicyLimits.maxPolicyBytes else {
            throw FilterPolicyError(
                at: [], "the policy is \(size) bytes of JSON; SNS allows at most \(PolicyLimits.maxPolicyBytes)")
        }
        var parser = PolicyParser()
        root = try parser.clause(document, keys: [], location: [])
        keyPaths = parser.keyPaths
        let keys = root.maximumKeyCount
        guard keys <= PolicyLimits.maxKeys else {
            throw FilterPolicyError(
                at: [], "the policy tests \(keys) keys; SNS allows at most \(PolicyLimits.maxKeys) (nested policies count leaf keys, per `$or` branch)")
        }
        combinations = root.combinations
        guard combinations <= PolicyLimits.maxCombinations else {
            throw FilterPolicyError(
                at: [], "the policy has \(combinations) combinations; SNS allows at most \(PolicyLimits.maxCombinations)")
        }
    }

    /// Whether `event` (a JSON object) passes the policy.
    public func matches(_ event: JSONValue) -> Bool {
        root.matches(event)
    }
}
