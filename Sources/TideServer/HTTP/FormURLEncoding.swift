/// `application/x-www-form-urlencoded` as the WHATWG URL standard parses it (§5.1): the
/// encoding of every query string a GraphQL client sends with `GET` (GraphQL over HTTP names
/// it), as browsers' `URLSearchParams`, Python's `requests` and `httpx` (`params=`) and
/// `curl -G --data-urlencode` write it.
///
/// `+` is a space and `%XX` a byte; the bytes are UTF-8 (invalid sequences become U+FFFD); a
/// `%` not followed by two hexadecimal digits stays as it is. Hummingbird's
/// `URI.queryParameters` decodes `%XX` only, so a query written with `+` for its spaces
/// reached the parser as `{+listNotes+{+items+…`.
///
/// ```swift
/// FormURLEncoding.decode("query=%7B+listNotes+%7B+items+%7B+id+%7D+%7D+%7D&x=a%2Bb")
/// // [("query", "{ listNotes { items { id } } }"), ("x", "a+b")]
/// ```
enum FormURLEncoding {
    /// The name-value pairs of `query` (the part of a URL after `?`), in order; a pair
    /// without `=` has the empty value, empty pairs are skipped.
    static func decode(_ query: Substring) -> [(name: String, value: String)] {
        query.utf8.split(separator: UInt8(ascii: "&")).map { pair in
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = pair[..<(equals ?? pair.endIndex)]
            let value = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            return (decodeComponent(name), decodeComponent(value))
        }
    }

    /// One name or value: `+` to space, then percent-decoding, then UTF-8.
    static func decodeComponent(_ bytes: Substring.UTF8View.SubSequence) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), let high = hexValue(bytes, bytes.index(after: i)),
                let low = hexValue(bytes, bytes.index(i, offsetBy: 2, limitedBy: bytes.endIndex) ?? bytes.endIndex)
            {
                out.append(high << 4 | low)
                i = bytes.index(i, offsetBy: 3)
                continue
            } else {
                out.append(byte)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ bytes: Substring.UTF8View.SubSequence, _ index: Substring.UTF8View.Index) -> UInt8? {
        guard index < bytes.endIndex else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return bytes[index] - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return bytes[index] - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return bytes[index] - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
