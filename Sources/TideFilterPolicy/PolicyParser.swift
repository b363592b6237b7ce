import TideModel

/// Checks a policy document and compiles it into clauses, collecting the key paths it tests.
struct PolicyParser {
    private(set) var keyPaths: [FilterPolicy.KeyPath] = []

    /// The operator names; an `$or` whose branches use one as a key is not an `$or` (SNS).
    static let operators: Set<String> = [
        "prefix", "suffix", "equals-ignore-case", "anything-but", "numeric", "exists", "cidr",
    ]

    mutating func clause(
        _ document: JSONValue, keys: [String], location: [PolicyPathComponent]
    ) throws(FilterPolicyError) -> PolicyClause {
        guard let members = document.objectValue else {
            throw FilterPolicyError(at: location, "a policy is a JSON object of keys")
        }
        if members.isEmpty, !keys.isEmpty {
            throw FilterPolicyError(at: location, "an empty object tests nothing")
        }
        var clause = PolicyClause()
        for key in members.keys.sorted() {
            let value = members[key]!
            let here = location + [.key(key)]
            if key == "$or", let branches = Self.orBranches(value) {
                var group: [PolicyClause] = []
                for (index, branch) in branches.enumerated() {
                    group.append(try self.clause(branch, keys: keys, location: here + [.index(index)]))
                }
                clause.alternatives.append(group)
                continue
            }
            switch value {
            case .object:
                let nested = try self.clause(value, keys: keys + [key], location: here)
                clause.leaves += nested.leaves
                clause.alternatives += nested.alternatives
            case .array(let elements):
                guard !elements.isEmpty else {
                    throw FilterPolicyError(at: here, "an empty list matches nothing; SNS refuses empty arrays")
                }
                var matchers: [Matcher] = []
                for (index, element) in elements.enumerated() {
                    matchers.append(try matcher(element, at: here + [.index(index)]))
                }
                clause.leaves.append(PolicyLeaf(keys: keys + [key], matchers: matchers))
                keyPaths.append(FilterPolicy.KeyPath(keys: keys + [key], location: here))
            default:
                throw FilterPolicyError(
                    at: here, "\"\(key)\" must be an object or an array (write [\(value.jsonString)])")
            }
        }
        return clause
    }

    /// The branches of a recognised `$or`: an array of at least two objects, none of which uses an
    /// operator name as a key. Anything else is a key named "$or", as SNS treats it.
    private static func orBranches(_ value: JSONValue) -> [JSONValue]? {
        guard let elements = value.arrayValue, elements.count >= 2 else { return nil }
        for element in elements {
            guard let members = element.objectValue, members.keys.allSatisfy({ !operators.contains($0) }) else {
                return nil
            }
        }
        return elements
    }

    private func matcher(_ value: JSONValue, at location: [PolicyPathComponent]) throws(FilterPolicyError) -> Matcher {
        switch value {
        case .object(let members):
            guard members.count == 1, let (name, argument) = members.first else {
                throw FilterPolicyError(
                    at: location,
                    "an operator object holds exactly one operator (found \(members.count): \(members.keys.sorted().joined(separator: ", ")))")
            }
            return try operatorMatcher(name, argument, at: location + [.key(name)])
        case .array:
            throw FilterPolicyError(at: location, "a match value is a string, number, true, false, null or an operator object, not a list")
        default:
            return .equals(try literal(value, at: location))
        }
    }

    private func operatorMatcher(
        _ name: String, _ argument: JSONValue, at location: [PolicyPathComponent]
    ) throws(FilterPolicyError) -> Matcher {
        switch name {
        case "prefix", "suffix", "equals-ignore-case":
            guard let text = argument.stringValue else {
                throw FilterPolicyError(at: location, "\(name) takes a string")
            }
            return name == "prefix" ? .prefix(text) : name == "suffix" ? .suffix(text) : .equalsIgnoreCase(text)
        case "anything-but":
            return try anythingBut(argument, at: location)
        case "numeric":
            return .numeric(try numericRange(argument, at: location))
        case "exists":
            guard let wanted = argument.boolValue else {
                throw FilterPolicyError(at: location, "exists takes true or false")
            }
            return .exists(wanted)
        case "cidr":
            guard let text = argument.stringValue else {
                throw FilterPolicyError(at: location, "cidr takes a string such as \"10.0.0.0/24\"")
            }
            switch CIDRBlock.parse(text) {
            case .success(let block): return .cidr(block)
            case .failure(let error): throw FilterPolicyError(at: location, error.reason)
            }
        default:
            throw FilterPolicyError(
                at: location,
                "unknown operator \"\(name)\" (SNS operators: \(Self.operators.sorted().joined(separator: ", ")))")
        }
    }

    private func anythingBut(_ argument: JSONValue, at location: [PolicyPathComponent]) throws(FilterPolicyError) -> Matcher {
        switch argument {
        case .string, .int, .double:
            return .anythingBut([try literal(argument, at: location)])
        case .array(let elements):
            guard !elements.isEmpty else {
                throw FilterPolicyError(at: location, "anything-but needs at least one value")
            }
            var literals: [PolicyLiteral] = []
            for (index, element) in elements.enumerated() {
                guard element.stringValue != nil || element.numberValue != nil else {
                    throw FilterPolicyError(at: location + [.index(index)], "anything-but lists strings or numbers")
                }
                literals.append(try literal(element, at: location + [.index(index)]))
            }
            return .anythingBut(literals)
        case .object(let members):
            guard members.count == 1, let prefix = members["prefix"] else {
                let names = members.keys.sorted().joined(separator: ", ")
                throw FilterPolicyError(
                    at: location, "SNS supports anything-but with a value, a list of values or {\"prefix\": …}, not {\(names)}")
            }
            guard let text = prefix.stringValue else {
                throw FilterPolicyError(at: location + [.key("prefix")], "prefix takes a string")
            }
            return .anythingButPrefix(text)
        default:
            throw FilterPolicyError(at: location, "anything-but takes a string, a number, a list of them, or {\"prefix\": …}")
        }
    }

    /// `["=", n]`, `[op, n]` with op one of `< <= > >=`, or `[">"|">=", a, "<"|"<=", b]` with a < b.
    private func numericRange(_ argument: JSONValue, at location: [PolicyPathComponent]) throws(FilterPolicyError) -> NumericRange {
        guard let terms = argument.arrayValue, terms.count == 2 || terms.count == 4 else {
            throw FilterPolicyError(
                at: location, "numeric takes [\"=\", n], [\"<\", n] (or <=, >, >=) or a range [\">\", a, \"<\", b]")
        }
        func term(_ index: Int) throws(FilterPolicyError) -> (String, Double) {
            guard let op = terms[index].stringValue else {
                throw FilterPolicyError(at: location + [.index(index)], "expected an operator (=, <, <=, >, >=)")
            }
            guard ["=", "<", "<=", ">", ">="].contains(op) else {
                throw FilterPolicyError(at: location + [.index(index)], "unknown numeric operator \"\(op)\" (=, <, <=, >, >=)")
            }
            guard case .number(let n) = try literal(terms[index + 1], at: location + [.index(index + 1)]) else {
                throw FilterPolicyError(at: location + [.index(index + 1)], "the value of \(op) must be a number")
            }
            return (op, n)
        }
        let (op, n) = try term(0)
        var range = NumericRange()
        switch op {
        case "=": range = NumericRange(lower: n, lowerInclusive: true, upper: n, upperInclusive: true)
        case ">", ">=": range.lower = n; range.lowerInclusive = op == ">="
        default: range.upper = n; range.upperInclusive = op == "<="
        }
        guard terms.count == 4 else { return range }
        guard op == ">" || op == ">=" else {
            throw FilterPolicyError(at: location, "a numeric range starts with > or >= and ends with < or <=")
        }
        let (op2, n2) = try term(2)
        guard op2 == "<" || op2 == "<=" else {
            throw FilterPolicyError(at: location + [.index(2)], "a numeric range ends with < or <=, not \(op2)")
        }
        guard n < n2 else {
            throw FilterPolicyError(at: location, "the range's bottom (\(n)) must be less than its top (\(n2))")
        }
        range.upper = n2
        range.upperInclusive = op2 == "<="
        return range
    }

    private func literal(_ value: JSONValue, at location: [PolicyPathComponent]) throws(FilterPolicyError) -> PolicyLiteral {
        switch value {
        case .string(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .int, .double:
            let number = value.numberValue!
            guard abs(number) <= PolicyLimits.numberMagnitude else {
                throw FilterPolicyError(at: location, "\(value.jsonString) is outside SNS's numeric range of -1e9...1e9")
            }
            return .number(PolicyLimits.quantize(number))
        default:
            throw FilterPolicyError(at: location, "expected a string, number, true, false or null")
        }
    }
}
