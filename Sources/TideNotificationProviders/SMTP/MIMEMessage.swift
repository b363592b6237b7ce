import Foundation

/// An email as RFC 5322 and MIME write it: headers (From, To, Subject, Date, Message-ID,
/// MIME-Version) and a text part, an HTML part, or both as multipart/alternative, each
/// quoted-printable in UTF-8.
struct MIMEMessage {
    var from: String
    var to: String
    var subject: String
    var text: String?
    var html: String?
    var messageID: String
    var date: Date

    /// The message with CRLF line ends, ready for dot-stuffing.
    func rendered(boundary: String = "tw-" + UUID().uuidString) -> String {
        var headers = [
            "From: \(from)",
            "To: <\(to)>",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: \(messageID)",
            "MIME-Version: 1.0",
        ]
        var body: [String] = []
        switch (text, html) {
        case (let text?, let html?):
            headers.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            body = ["This is a multipart message in MIME format.", ""]
            for (type, content) in [("text/plain", text), ("text/html", html)] {
                body += ["--\(boundary)"] + Self.part(type, content) + [""]
            }
            body.append("--\(boundary)--")
        case (let text?, nil):
            headers += Self.part("text/plain", text)
        case (nil, let html?):
            headers += Self.part("text/html", html)
        case (nil, nil):
            headers += Self.part("text/plain", "")
        }
        if text == nil || html == nil {
            // A single part: its headers are the message's, its body follows them.
            let split = headers.firstIndex(of: "")!
            body = Array(headers[(split + 1)...])
            headers = Array(headers[..<split])
        }
        return (headers + [""] + body).joined(separator: "\r\n") + "\r\n"
    }

    /// A part's headers, an empty line and its quoted-printable content.
    private static func part(_ type: String, _ content: String) -> [String] {
        ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", QuotedPrintable.encode(content)]
    }

    /// RFC 2047 `=?UTF-8?B?…?=` for a header value that is not plain ASCII.
    static func encodedWord(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x80 || $0 < 0x20 }) else { return text }
        return "=?UTF-8?B?\(Data(text.utf8).base64EncodedString())?="
    }

    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// SMTP's transparency rule (RFC 5321 §4.5.2): a line that starts with "." gets another;
    /// then the end-of-data marker.
    static func dotStuffed(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        var atLineStart = true
        for byte in message.utf8 {
            if atLineStart, byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out.append(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
        if !atLineStart { out += Array("\r\n".utf8) }
        out += Array(".\r\n".utf8)
        return out
    }
}

/// Quoted-printable (RFC 2045 §6.7): printable ASCII as it is, other bytes as `=XX`, lines
/// kept to 76 characters with soft breaks, CRLF line ends.
enum QuotedPrintable {
    static func encode(_ text: String) -> String {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        return lines.map { encodeLine(Array($0.utf8)) }.joined(separator: "\r\n")
    }

    private static func encodeLine(_ bytes: [UInt8]) -> String {
        var out = ""
        var length = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal = (33...126).contains(byte) && byte != UInt8(ascii: "=")
                || ((byte == 0x20 || byte == 0x09) && !isLast)
            let token = literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte)
            // Leave room for the soft break's "=".
            if length + token.count > 75 {
                out += "=\r\n"
                length = 0
            }
            out += token
            length += token.count
        }
        return out
    }
}
