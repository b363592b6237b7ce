/// One step of a path into a policy document: an object key or an array index.
public enum PolicyPathComponent: Sendable, Hashable, CustomStringConvertible {
    case key(String)
    case index(Int)

    public var description: String {
        switch self {
        case .key(let k): k
        case .index(let i): "[\(i)]"
        }
    }
}

/// Why a policy was refused, and where in the policy document.
public struct FilterPolicyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path of the offending value in the policy document (empty: the whole policy).
    public var location: [PolicyPathComponent]
    public var reason: String

    init(at location: [PolicyPathComponent], _ reason: String) {
        self.location = location
        self.reason = reason
    }

    /// The location as `new.content[0]`, or `policy` for the whole document.
    public var locationText: String {
        guard !location.isEmpty else { return "policy" }
        var text = ""
        for component in location {
            switch component {
            case .key(let k): text += text.isEmpty ? k : ".\(k)"
            case .index: text += component.description
            }
        }
        return text
    }

    public var description: String { "\(locationText): \(reason)" }
}
