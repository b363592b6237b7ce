/// Appends JSON text to a byte buffer.
///
/// The GraphQL engine streams responses through this writer in selection-set order, so it
/// exposes the pieces (`beginObject`, `key`, `string` …) as well as a whole-value `write`.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Lower-case hexadecimal digits by value.
    public static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Bytes written so far; a mark for `truncate(to:)`.
    public var count: Int { bytes.count }

    /// Drops everything written after `mark` (null propagation rewrites a partial object).
    public mutating func truncate(to mark: Int) {
        bytes.removeSubrange(mark...)
    }

    public mutating func raw(_ b: UInt8) { bytes.append(b) }
    public mutating func raw(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    public mutating func null() { raw("null") }
    public mutating func bool(_ b: Bool) { if b { raw("true") } else { raw("false") } }
    public mutating func int(_ i: Int64) { bytes.append(contentsOf: String(i).utf8) }

    public mutating func double(_ d: Double) {
        guard d.isFinite else { return null() }
        if d == d.rounded(), abs(d) < 1e15 {
            // Keep a float field's JSON a float ("2.0") so typed clients see the right kind.
            bytes.append(contentsOf: String(Int64(d)).utf8)
            raw(".0")
        } else {
            bytes.append(contentsOf: "\(d)".utf8)
        }
    }

    public mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                switch b {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                default:
                    raw("\\u00")
                    bytes.append(Self.hexDigits[Int(b >> 4)])
                    bytes.append(Self.hexDigits[Int(b & 0x0F)])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes an object key and the colon after it.
    public mutating func key(_ k: String) {
        string(k)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes a whole value; object keys are sorted so output is deterministic.
    ///
    /// With `limit`, writing stops (leaving the text unfinished) once more than `limit` bytes
    /// have been written: a preview of a large value costs about `limit`, not the value's size.
    public mutating func write(_ value: JSONValue, stoppingAfter limit: Int = .max) {
        switch value {
        case .null: null()
        case .bool(let b): bool(b)
        case .int(let i): int(i)
        case .double(let d): double(d)
        case .string(let s): string(s)
        case .array(let a):
            raw("[")
            for (i, v) in a.enumerated() {
                if bytes.count > limit { return }
                if i > 0 { raw(",") }
                write(v, stoppingAfter: limit)
            }
            raw("]")
        case .object(let o):
            raw("{")
            for (i, k) in o.keys.sorted().enumerated() {
                if bytes.count > limit { return }
                if i > 0 { raw(",") }
                key(k)
                write(o[k]!, stoppingAfter: limit)
            }
            raw("}")
        }
    }
}

extension JSONValue {
    /// Compact JSON text with sorted keys.
    public var jsonString: String {
        var w = JSONWriter()
        w.write(self)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Compact JSON bytes with sorted keys.
    public var jsonBytes: [UInt8] {
        var w = JSONWriter()
        w.write(self)
        return w.bytes
    }
}
