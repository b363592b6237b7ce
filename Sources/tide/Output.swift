import Foundation
import TideModel

#if canImport(Glibc)
import Glibc
#endif

/// What `tide` prints: one JSON value with `--json`, readable text and tables otherwise;
/// colours only when the stream is a terminal; errors as one line on stderr.
enum Output {
    static var json: Bool { GlobalOptions.current.json }
    static let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0
    static let stderrIsTerminal = isatty(STDERR_FILENO) != 0

    /// One line on stdout, written at once (not held in a buffer: `watch` prints into pipes).
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func printJSON(_ value: JSONValue) {
        line(value.jsonString)
    }

    /// Pretty JSON (two-space indent, sorted keys) for people; compact with `--json`.
    static func record(_ value: JSONValue) {
        line(json ? value.jsonString : pretty(value))
    }

    static func error(_ message: String) {
        let prefix = stderrIsTerminal ? "\u{1B}[31mtide:\u{1B}[0m " : "tide: "
        FileHandle.standardError.write(Data((prefix + message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
    }

    /// A note on stderr (progress, skipped models, warnings).
    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static func bold(_ text: String) -> String { stdoutIsTerminal ? "\u{1B}[1m\(text)\u{1B}[0m" : text }
    static func dim(_ text: String) -> String { stdoutIsTerminal ? "\u{1B}[2m\(text)\u{1B}[0m" : text }
    static func colour(_ text: String, _ code: Int) -> String { stdoutIsTerminal ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    /// A table with a header row; cells longer than `maxWidth` are cut.
    static func table(_ headers: [String], _ rows: [[String]], maxWidth: Int = 40) {
        let cut = rows.map { $0.map { $0.count > maxWidth ? String($0.prefix(maxWidth - 1)) + "…" : $0 } }
        var widths = headers.map(\.count)
        for row in cut { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        func render(_ cells: [String]) -> String {
            let line = cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
            return String(line.reversed().drop { $0 == " " }.reversed())
        }
        line(bold(render(headers)))
        for row in cut { line(render(row)) }
    }

    /// A value in a table cell: strings as they are, everything else as JSON, null empty.
    static func cell(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let s)?: s
        case let other?: other.jsonString
        }
    }

    static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let object) where !object.isEmpty:
            let lines = object.keys.sorted().map { key in
                inner + JSONValue.string(key).jsonString + ": " + pretty(object[key]!, indent: inner)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n\(indent)}"
        default:
            return value.jsonString
        }
    }

    /// Epoch milliseconds as a local date and time.
    static func time(_ millis: Int64?) -> String {
        guard let millis else { return "never" }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}

/// Parses a JSON argument (a record, a filter); malformed JSON is a usage error.
func parseJSONArgument(_ text: String, what: String) throws -> JSONValue {
    do {
        return try JSONParser.parse(text)
    } catch {
        throw CLIFailure.usage("malformed JSON in \(what): \(error.description)")
    }
}
