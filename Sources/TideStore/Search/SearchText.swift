import TideSQLite
import Foundation

/// Turns the text a user typed into words for a ``TextQuery``, refusing FTS5 query syntax.
///
/// Search text is never handed to SQLite's MATCH: the store quotes every word it builds a query
/// from. Text that reads as query syntax is refused with a reason instead of being silently
/// searched for as words, so the caller learns that `title:x` or `a AND b` does not do what
/// they meant (ARCHITECTURE §10.1: `BAD_USER_INPUT` saying why).
public enum SearchText {
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// FTS5's operator words; `match` ORs its words itself and `and`/`or`/`not` live in the filter.
    static let operators: Set<String> = ["AND", "OR", "NOT", "NEAR"]

    /// The words of `text` (whitespace-separated, punctuation-only words dropped). Refuses
    /// quotes, operator words, `*`, `NEAR(` and column filters (`title:x`).
    public static func words(_ text: String, operator name: String) throws(Refusal) -> [String] {
        if text.contains("\"") {
            let count = text.filter { $0 == "\"" }.count
            throw Refusal(
                reason: count % 2 == 1
                    ? "\(name): the search text has an unbalanced quote (\"); search for words, or use matchPhrase for a phrase"
                    : "\(name): quotes are query syntax, which search text does not take; use matchPhrase for a phrase")
        }
        var words: [String] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }).map(String.init) {
            if operators.contains(word) || word.hasPrefix("NEAR(") {
                throw Refusal(
                    reason:
                        "\(name): '\(word)' is a query operator, which search text does not take; match ORs its words, and the filter has and/or/not")
            }
            if word.contains("*") {
                throw Refusal(
                    reason: "\(name): '*' is query syntax, which search text does not take; use wildcard (\"abc*\") or matchPhrasePrefix for a prefix")
            }
            if let colon = word.firstIndex(of: ":"), colon != word.startIndex, word[..<colon].allSatisfy(isWordCharacter) {
                throw Refusal(
                    reason: "\(name): '\(word)' looks like a column filter, which search text does not take; filter on the field instead")
            }
            if word.unicodeScalars.contains(where: isWordScalar) { words.append(word) }
        }
        guard !words.isEmpty else {
            throw Refusal(reason: "\(name): the search text has no words to search for (letters or digits)")
        }
        return words
    }

    /// `wildcard`: a word followed by one `*` (a prefix); other patterns are refused.
    public static func prefix(_ pattern: String) throws(Refusal) -> String {
        guard pattern.hasSuffix("*"), pattern.filter({ $0 == "*" }).count == 1, !pattern.contains("?") else {
            throw Refusal(reason: "wildcard: only a prefix pattern such as \"abc*\" is supported, got \"\(pattern)\"")
        }
        let stem = String(pattern.dropLast())
        guard !stem.isEmpty, stem.unicodeScalars.allSatisfy(isWordScalar) else {
            throw Refusal(
                reason: stem.isEmpty
                    ? "wildcard: a lone '*' matches everything; leave the predicate out instead"
                    : "wildcard: the prefix must be letters or digits, got \"\(stem)\"")
        }
        return stem
    }

    /// What FTS5's unicode61 tokenizer keeps as part of a token: letters, digits, marks.
    static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark, .privateUse:
            true
        default: false
        }
    }

    static func isWordCharacter(_ character: Character) -> Bool {
        character.unicodeScalars.allSatisfy(isWordScalar)
    }

    /// An FTS5 string literal: the text in double quotes, inner quotes doubled.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The FTS5 expression for `query` on `column`, every word quoted.
    static func expression(_ query: TextQuery, column: String) -> String {
        switch query {
        case .anyWord(let words): "\(column) : (" + words.map(quoted).joined(separator: " OR ") + ")"
        case .phrase(let words): "\(column) : " + quoted(words.joined(separator: " "))
        case .phrasePrefix(let words): "\(column) : " + quoted(words.joined(separator: " ")) + " *"
        case .prefix(let stem): "\(column) : " + quoted(stem) + " *"
        }
    }
}
