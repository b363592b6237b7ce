/// One SMTP reply (RFC 5321 §4.2): a code and its text lines (`250-PIPELINING` … `250 SIZE`).
struct SMTPReply: Sendable, Hashable {
    var code: Int
    var lines: [String]

    var isPositive: Bool { (200..<400).contains(code) }
    var isTransientFailure: Bool { (400..<500).contains(code) }
    var text: String { "\(code) \(lines.joined(separator: " / "))" }

    /// The EHLO keywords, upper-cased (`STARTTLS`, `AUTH PLAIN LOGIN`, …), one per line after the greeting line.
    var extensions: [String] { lines.dropFirst().map { $0.uppercased() } }
}

/// Assembles replies from the bytes a server sends, however they are split into reads.
struct SMTPReplyReader {
    private var buffer: [UInt8] = []
    private var lines: [String] = []

    /// Adds received bytes; returns the replies they complete.
    mutating func consume(_ bytes: some Sequence<UInt8>) throws(SMTPProtocolError) -> [SMTPReply] {
        buffer += bytes
        var replies: [SMTPReply] = []
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            buffer.removeSubrange(...newline)
            guard line.count >= 3, let code = Int(String(decoding: line.prefix(3), as: UTF8.self)) else {
                throw SMTPProtocolError("malformed reply line \"\(String(decoding: line, as: UTF8.self))\"")
            }
            let separator = line.count > 3 ? line[line.startIndex + 3] : UInt8(ascii: " ")
            lines.append(String(decoding: line.dropFirst(4), as: UTF8.self))
            if separator != UInt8(ascii: "-") {
                replies.append(SMTPReply(code: code, lines: lines))
                lines = []
            }
        }
        return replies
    }
}

struct SMTPProtocolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
