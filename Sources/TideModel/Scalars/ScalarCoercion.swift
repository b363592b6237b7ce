/// Input coercion for scalar values (GraphQL spec §3.5 plus AppSync's AWS scalar formats).
///
/// Every entry point that accepts a scalar (variables, literals, stored defaults) goes through
/// `coerce`, so a malformed `AWSDateTime` is refused the same way wherever it arrives.
public enum ScalarCoercion {
    /// Returns the canonical value for `value` as `scalar`, or a reason it is not one.
    public static func coerce(_ value: JSONValue, as scalar: Scalar) -> Result<JSONValue, ScalarError> {
        switch scalar {
        case .string:
            guard case .string = value else { return .failure(.init("String cannot represent a non string value: \(value.preview)")) }
            return .success(value)
        case .id:
            switch value {
            case .string: return .success(value)
            case .int(let i): return .success(.string(String(i)))
            default: return .failure(.init("ID cannot represent value: \(value.preview)"))
            }
        case .int:
            switch value {
            case .int(let i) where i >= Int64(Int32.min) && i <= Int64(Int32.max): return .success(value)
            case .int: return .failure(.init("Int cannot represent non 32-bit signed integer value: \(value.preview)"))
            case .double(let d) where d == d.rounded() && abs(d) <= Double(Int32.max): return .success(.int(Int64(d)))
            default: return .failure(.init("Int cannot represent non-integer value: \(value.preview)"))
            }
        case .float:
            switch value {
            case .int(let i): return .success(.double(Double(i)))
            case .double: return .success(value)
            default: return .failure(.init("Float cannot represent non numeric value: \(value.preview)"))
            }
        case .boolean:
            guard case .bool = value else { return .failure(.init("Boolean cannot represent a non boolean value: \(value.preview)")) }
            return .success(value)
        case .awsTimestamp:
            switch value {
            case .int: return .success(value)
            case .double(let d) where d == d.rounded() && abs(d) < 1e15: return .success(.int(Int64(d)))
            default: return .failure(.init("AWSTimestamp must be an integer number of seconds since the epoch: \(value.preview)"))
            }
        case .awsDateTime: return string(value, scalar, valid: DateFormats.isDateTime)
        case .awsDate: return string(value, scalar, valid: DateFormats.isDate)
        case .awsTime: return string(value, scalar, valid: DateFormats.isTime)
        case .awsEmail: return string(value, scalar, valid: isEmail)
        case .awsPhone: return string(value, scalar, valid: isPhone)
        case .awsURL: return string(value, scalar, valid: isURL)
        case .awsIPAddress: return string(value, scalar, valid: isIPAddress)
        case .awsJSON:
            guard case .string(let text) = value else {
                return .failure(.init("AWSJSON must be a string containing JSON: \(value.preview)"))
            }
            do {
                _ = try JSONParser.parse(text)
                return .success(value)
            } catch {
                return .failure(.init("AWSJSON must be a string containing JSON: \(error.description)"))
            }
        }
    }

    private static func string(_ value: JSONValue, _ scalar: Scalar, valid: (String) -> Bool) -> Result<JSONValue, ScalarError> {
        guard case .string(let s) = value, valid(s) else {
            return .failure(.init("\(scalar.rawValue) cannot represent value: \(value.preview)\(formatHint(scalar))"))
        }
        return .success(value)
    }

    private static func formatHint(_ scalar: Scalar) -> String {
        switch scalar {
        case .awsDateTime: " (expected ISO 8601 like 2026-01-31T12:00:00.000Z)"
        case .awsDate: " (expected YYYY-MM-DD)"
        case .awsTime: " (expected hh:mm:ss.sss)"
        case .awsEmail: " (expected an email address)"
        case .awsPhone: " (expected a phone number such as +1 555 123 4567)"
        case .awsURL: " (expected a URL with a scheme)"
        case .awsIPAddress: " (expected an IPv4 or IPv6 address)"
        default: ""
        }
    }

    static func isEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, s.count <= 254 else { return false }
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        let localOK = parts[0].unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0 != "," && $0 != "<" && $0 != ">" }
        let domainOK = labels.allSatisfy { label in
            !label.isEmpty && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" }
        }
        return localOK && domainOK
    }

    static func isPhone(_ s: String) -> Bool {
        var digits = 0
        for (i, c) in s.enumerated() {
            if c.isASCII, c.isNumber { digits += 1; continue }
            if c == "+" && i == 0 { continue }
            if c == " " || c == "-" || c == "(" || c == ")" || c == "." { continue }
            return false
        }
        return (7...15).contains(digits)
    }

    static func isURL(_ s: String) -> Bool {
        guard let colon = s.firstIndex(of: ":") else { return false }
        let scheme = s[..<colon]
        guard let first = scheme.first, first.isLetter,
            scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") })
        else { return false }
        let rest = s[s.index(after: colon)...]
        return !rest.isEmpty && !s.contains(where: { $0.isWhitespace })
    }

    static func isIPAddress(_ s: String) -> Bool {
        var address = Substring(s)
        if let slash = s.firstIndex(of: "/") {
            guard let prefix = Int(s[s.index(after: slash)...]), prefix >= 0, prefix <= 128 else { return false }
            address = s[..<slash]
        }
        if address.contains(":") {
            let groups = address.split(separator: ":", omittingEmptySubsequences: false)
            guard groups.count >= 3, groups.count <= 8 else { return false }
            return groups.allSatisfy { $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }
                && address.ranges(of: "::").count <= 1
        }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { o in
            guard !o.isEmpty, o.count <= 3, let v = Int(o) else { return false }
            return v <= 255
        }
    }
}

public struct ScalarError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Strict ISO 8601 checks for the AWS date/time scalars.
public enum DateFormats {
    /// `YYYY-MM-DDThh:mm(:ss(.s+)?)?(Z|±hh:mm(:ss)?)` — AppSync requires the offset.
    public static func isDateTime(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= 17, let t = u.firstIndex(where: { $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: "t") }), t == 10
        else { return false }
        guard isDatePart(u[0..<10]) else { return false }
        return isTimeWithOffset(Array(u[11...]), offsetRequired: true)
    }

    /// `YYYY-MM-DD` with an optional offset.
    public static func isDate(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count >= 10, isDatePart(u[0..<10]) else { return false }
        return u.count == 10 || isOffset(Array(u[10...]))
    }

    /// `hh:mm(:ss(.s+)?)?` with an optional offset.
    public static func isTime(_ s: String) -> Bool {
        isTimeWithOffset(Array(s.utf8), offsetRequired: false)
    }

    private static func digits(_ u: ArraySlice<UInt8>) -> Int? {
        guard !u.isEmpty, u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return u.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    private static func isDatePart(_ u: ArraySlice<UInt8>) -> Bool {
        let b = u.startIndex
        guard u.count == 10, u[b + 4] == UInt8(ascii: "-"), u[b + 7] == UInt8(ascii: "-"),
            let year = digits(u[b..<b + 4]), let month = digits(u[b + 5..<b + 7]), let day = digits(u[b + 8..<b + 10]),
            (1...12).contains(month), day >= 1
        else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    private static func isTimeWithOffset(_ u: [UInt8], offsetRequired: Bool) -> Bool {
        // hh:mm
        guard u.count >= 5, u[2] == UInt8(ascii: ":"), let h = digits(u[0..<2]), let m = digits(u[3..<5]), h <= 23, m <= 59
        else { return false }
        var i = 5
        if i < u.count, u[i] == UInt8(ascii: ":") {
            guard i + 3 <= u.count, let sec = digits(u[i + 1..<i + 3]), sec <= 60 else { return false }
            i += 3
            if i < u.count, u[i] == UInt8(ascii: ".") {
                let start = i + 1
                i = start
                while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
                guard i > start else { return false }
            }
        }
        if i == u.count { return !offsetRequired }
        return isOffset(Array(u[i...]))
    }

    private static func isOffset(_ u: [UInt8]) -> Bool {
        if u == [UInt8(ascii: "Z")] || u == [UInt8(ascii: "z")] { return true }
        guard u.count == 6 || u.count == 9, u[0] == UInt8(ascii: "+") || u[0] == UInt8(ascii: "-"), u[3] == UInt8(ascii: ":"),
            let h = digits(u[1..<3]), let m = digits(u[4..<6]), h <= 23, m <= 59
        else { return false }
        if u.count == 9 {
            guard u[6] == UInt8(ascii: ":"), let s = digits(u[7..<9]), s <= 59 else { return false }
        }
        return true
    }
}
