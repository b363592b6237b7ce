import Foundation
import TideFilterPolicy
import TideModel
import Yams

/// Typed reading of a composed YAML document that records a `FILE:LINE` diagnostic for every
/// value of the wrong shape instead of stopping at the first, so one run shows every problem.
struct YAMLReader {
    let file: String
    private(set) var diagnostics: [RulesDiagnostic] = []

    init(file: String) { self.file = file }

    mutating func fail(_ node: Node?, _ message: String) {
        fail(line: node?.mark?.line ?? 1, column: node?.mark?.column ?? 1, message)
    }

    mutating func fail(line: Int, column: Int = 1, _ message: String) {
        diagnostics.append(RulesDiagnostic(file: file, line: line, column: column, message: message))
    }

    /// The pairs of a mapping; unknown keys are reported, missing required ones too.
    mutating func mapping(
        _ node: Node, _ what: String, allowed: [String], required: [String] = []
    ) -> [String: (key: Node, value: Node)]? {
        guard let mapping = node.mapping else {
            fail(node, "\(what) must be a mapping (\(allowed.joined(separator: ", ")))")
            return nil
        }
        var pairs: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                fail(key, "\(what): keys are names")
                continue
            }
            guard allowed.contains(name) else {
                fail(key, "\(what): unknown key \"\(name)\" (expected \(allowed.joined(separator: ", ")))")
                continue
            }
            pairs[name] = (key, value)
        }
        for name in required where pairs[name] == nil {
            fail(node, "\(what): \"\(name)\" is required")
        }
        return pairs
    }

    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar, !isNull(node) else {
            fail(node, "\(what) must be a string")
            return nil
        }
        return scalar.string
    }

    mutating func strings(_ node: Node, _ what: String) -> [String]? {
        guard let sequence = node.sequence else {
            fail(node, "\(what) must be a list")
            return nil
        }
        var result: [String] = []
        for element in sequence {
            guard let text = string(element, "each of \(what)") else { return nil }
            result.append(text)
        }
        return result
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard case .bool(let b) = json(node) else {
            fail(node, "\(what) must be true or false")
            return nil
        }
        return b
    }

    mutating func int(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard case .int(let i) = json(node), range.contains(Int(i)) else {
            fail(node, "\(what) must be an integer within \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return Int(i)
    }

    func isNull(_ node: Node) -> Bool {
        json(node) == .null
    }

    /// A YAML value as JSON with YAML 1.2's core schema (so `yes` stays a string and `22:00` is
    /// not sexagesimal): quoted scalars are strings; plain ones are null (`null`, `~`, empty),
    /// booleans (`true`/`false`), integers, floats, or strings.
    func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any else { return .string(scalar.string) }
            let text = scalar.string
            switch text {
            case "", "~", "null", "Null", "NULL": return .null
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let i = Int64(text) { return .int(i) }
            if text.range(of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
                let d = Double(text)
            {
                return .double(d)
            }
            return .string(text)
        case .sequence(let sequence):
            return .array(sequence.map(json))
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.scalar?.string ?? ""] = json(value) }
            return .object(object)
        case .alias:
            return .null
        }
    }

    /// The node at a path of keys and indexes below `node`, or the deepest one found.
    func node(at path: [PolicyPathComponent], in node: Node) -> Node {
        var current = node
        for step in path {
            switch step {
            case .key(let key):
                guard let next = current.mapping?[key] else { return current }
                current = next
            case .index(let index):
                guard let sequence = current.sequence, index < sequence.count else { return current }
                current = sequence[sequence.index(sequence.startIndex, offsetBy: index)]
            }
        }
        return current
    }
}
