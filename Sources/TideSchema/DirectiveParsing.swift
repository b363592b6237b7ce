import GraphQL
import TideModel

// A small, position-carrying copy of the directive syntax, detached from GraphQLSwift's AST, and
// the typed readers that turn directive arguments into values or diagnostics.

/// A directive argument value as written.
indirect enum ArgumentValue {
    case int(String)
    case float(String)
    case string(String)
    case bool(Bool)
    case null
    case enumeration(String)
    case list([LocatedValue])
    case object([ObjectEntry])
    case variable(String)

    /// How the value is described in "expected … but found …" messages.
    var kindDescription: String {
        switch self {
        case .int: "an integer"
        case .float: "a float"
        case .string: "a string"
        case .bool: "a Boolean"
        case .null: "null"
        case .enumeration(let name): "the enum value \(name)"
        case .list: "a list"
        case .object: "an object"
        case .variable(let name): "the variable $\(name)"
        }
    }
}

struct LocatedValue {
    var value: ArgumentValue
    var location: TideModel.SourceLocation

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }
}

struct ObjectEntry {
    var name: String
    var location: TideModel.SourceLocation
    var value: LocatedValue
}

struct ArgumentUse {
    var name: String
    var location: TideModel.SourceLocation
    var value: LocatedValue
}

/// One directive as written on a type or field.
struct DirectiveUse {
    var name: String
    /// The position of its `@`.
    var location: TideModel.SourceLocation
    var arguments: [ArgumentUse]

    init(_ directive: Directive) {
        name = directive.name.value
        location = TideModel.SourceLocation(directive.loc)
        arguments = directive.arguments.map {
            ArgumentUse(
                name: $0.name.value, location: TideModel.SourceLocation($0.name.loc),
                value: LocatedValue($0.value))
        }
    }

    func argument(_ name: String) -> ArgumentUse? { arguments.first { $0.name == name } }
}

extension TideModel.SourceLocation {
    /// The start of a GraphQLSwift node (its first token), or 1:1 when the parser kept no location.
    ///
    /// The lexer counts columns in UTF-8 bytes; a line with non-ASCII text before the token is
    /// recounted in characters, as editors show them.
    init(_ location: Location?) {
        guard let location else {
            self.init(line: 1, column: 1)
            return
        }
        let token = location.startToken
        var column = token.column
        let body = location.source.body
        let lineStartOffset = token.start - (token.column - 1)
        if lineStartOffset >= 0, token.start <= body.utf8.count {
            let lineStart = body.utf8.index(body.utf8.startIndex, offsetBy: lineStartOffset)
            let tokenStart = body.utf8.index(lineStart, offsetBy: token.column - 1)
            if !body.utf8[lineStart..<tokenStart].allSatisfy({ $0 < 0x80 }) {
                column = body[lineStart..<tokenStart].count + 1
            }
        }
        self.init(line: token.line, column: column)
    }

    /// The line and column (in characters) of a UTF-8 offset into `body`; `\r\n`, `\r` and `\n`
    /// each end a line, as in the GraphQL lexer.
    init(utf8Offset offset: Int, in body: String) {
        let end = body.utf8.index(body.utf8.startIndex, offsetBy: max(0, min(offset, body.utf8.count)))
        var line = 1
        var column = 1
        for character in body[..<end] {
            if character == "\n" || character == "\r" || character == "\r\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        self.init(line: line, column: column)
    }
}

extension LocatedValue {
    init(_ node: any Value) {
        location = TideModel.SourceLocation(node.loc)
        switch node {
        case let v as IntValue: value = .int(v.value)
        case let v as FloatValue: value = .float(v.value)
        case let v as StringValue: value = .string(v.value)
        case let v as BooleanValue: value = .bool(v.value)
        case is NullValue: value = .null
        case let v as EnumValue: value = .enumeration(v.value)
        case let v as ListValue: value = .list(v.values.map { LocatedValue($0) })
        case let v as ObjectValue:
            value = .object(
                v.fields.map {
                    ObjectEntry(
                        name: $0.name.value, location: TideModel.SourceLocation($0.name.loc),
                        value: LocatedValue($0.value))
                })
        case let v as Variable: value = .variable(v.name.value)
        default: value = .null
        }
    }
}

// MARK: - Typed readers

extension SchemaBuilder {
    /// Reports unknown and repeated arguments and missing required ones; true when all is well.
    @discardableResult
    mutating func checkArguments(_ directive: DirectiveUse, allowed: [String], required: [String] = []) -> Bool {
        var ok = true
        var seen: Set<String> = []
        for argument in directive.arguments {
            if !allowed.contains(argument.name) {
                let expected = allowed.isEmpty ? "it takes no arguments" : "expected \(Self.list(allowed))"
                error("unknown argument '\(argument.name)' for @\(directive.name); \(expected)", at: argument.location)
                ok = false
            } else if !seen.insert(argument.name).inserted {
                error("argument '\(argument.name)' is given twice to @\(directive.name)", at: argument.location)
                ok = false
            }
        }
        for name in required where directive.argument(name) == nil {
            error("@\(directive.name) requires the argument '\(name)'", at: directive.location)
            ok = false
        }
        return ok
    }

    /// Reports unknown and repeated keys of an object value.
    mutating func checkKeys(_ entries: [ObjectEntry], allowed: [String], in context: String) {
        var seen: Set<String> = []
        for entry in entries {
            if !allowed.contains(entry.name) {
                error("unknown key '\(entry.name)' in \(context); expected \(Self.list(allowed))", at: entry.location)
            } else if !seen.insert(entry.name).inserted {
                error("key '\(entry.name)' is given twice in \(context)", at: entry.location)
            }
        }
    }

    mutating func readString(_ value: LocatedValue, _ what: String) -> String? {
        if case .string(let s) = value.value { return s }
        mismatch(value, expected: "a string", what)
        return nil
    }

    mutating func readBool(_ value: LocatedValue, _ what: String) -> Bool? {
        if case .bool(let b) = value.value { return b }
        mismatch(value, expected: "a Boolean", what)
        return nil
    }

    mutating func readObject(_ value: LocatedValue, _ what: String) -> [ObjectEntry]? {
        if case .object(let entries) = value.value { return entries }
        mismatch(value, expected: "an object", what)
        return nil
    }

    /// A list of strings; a single string is accepted as a list of one (GraphQL input coercion).
    mutating func readStringList(_ value: LocatedValue, _ what: String) -> [(String, TideModel.SourceLocation)]? {
        switch value.value {
        case .string(let s): return [(s, value.location)]
        case .list(let items):
            var result: [(String, TideModel.SourceLocation)] = []
            var ok = true
            for item in items {
                if case .string(let s) = item.value {
                    result.append((s, item.location))
                } else {
                    mismatch(item, expected: "a string", "each item of \(what)")
                    ok = false
                }
            }
            return ok ? result : nil
        default:
            mismatch(value, expected: "a list of strings", what)
            return nil
        }
    }

    /// An enum literal among `allowed`.
    mutating func readEnum(_ value: LocatedValue, _ what: String, allowed: [String]) -> String? {
        if case .enumeration(let name) = value.value {
            if allowed.contains(name) { return name }
            error("\(what) must be one of \(Self.list(allowed)), not \(name)", at: value.location)
            return nil
        }
        if case .string(let s) = value.value, allowed.contains(s) {
            error("\(what) takes an enum value: write \(s) without quotes", at: value.location)
            return nil
        }
        mismatch(value, expected: "one of \(Self.list(allowed))", what)
        return nil
    }

    /// A list of enum literals (a single literal is a list of one).
    mutating func readEnumList(_ value: LocatedValue, _ what: String, allowed: [String]) -> [String]? {
        let items: [LocatedValue]
        if case .list(let list) = value.value { items = list } else { items = [value] }
        var result: [String] = []
        var ok = true
        for item in items {
            if let name = readEnum(item, "each item of \(what)", allowed: allowed) {
                result.append(name)
            } else {
                ok = false
            }
        }
        return ok ? result : nil
    }

    mutating func mismatch(_ value: LocatedValue, expected: String, _ what: String) {
        error("\(what) must be \(expected), not \(value.value.kindDescription)", at: value.location)
    }

    /// `a, b or c`.
    static func list(_ names: [String]) -> String {
        switch names.count {
        case 0: return ""
        case 1: return names[0]
        default: return names.dropLast().joined(separator: ", ") + " or " + names.last!
        }
    }

    /// True for a valid GraphQL name (`[_A-Za-z][_0-9A-Za-z]*`).
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}
