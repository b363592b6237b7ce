import Mustache
import TideModel

/// A Mustache template of one message part (a push title, an email's HTML …), rendered with
/// the event (`{{new.content}}`, `{{actor}}`, `{{#old}}…{{/old}}`).
///
/// `{{x}}` is HTML-escaped in `.html` parts (an email's HTML) and written as it is in `.text`
/// parts (push, SMS, an email's text, its subject), where an entity would show literally.
/// `{{{x}}}` never escapes.
public struct MessageTemplate: Sendable {
    public enum Escaping: Sendable {
        case text, html
    }

    /// A template that does not parse: where (line and column within the template) and why.
    public struct SyntaxError: Error, Sendable {
        public var line: Int
        public var column: Int
        public var reason: String
    }

    public let source: String
    private let template: MustacheTemplate

    /// The pragma that switches swift-mustache (HTML by default) to unescaped text.
    private static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    public init(_ source: String, escaping: Escaping) throws(SyntaxError) {
        self.source = source
        let pragma = escaping == .text ? Self.textPragma : ""
        do {
            template = try MustacheTemplate(string: pragma + source)
        } catch let error as MustacheTemplate.ParserError {
            let line = error.context.lineNumber
            let column = error.context.columnNumber - (line == 1 ? pragma.count : 0)
            throw SyntaxError(line: line, column: max(1, column), reason: Self.reason(error.error))
        } catch {
            throw SyntaxError(line: 1, column: 1, reason: "\(error)")
        }
    }

    /// The text for one event.
    public func render(_ event: JSONValue) -> String {
        template.render(Self.renderable(event))
    }

    /// JSON as the Foundation-free values swift-mustache looks into (dictionaries, arrays,
    /// scalars); a null is left out, so it renders as nothing and is falsy in a section.
    static func renderable(_ value: JSONValue) -> Any {
        switch value {
        case .null: return [String: Any]()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .array(let a): return a.filter { !$0.isNull }.map(renderable)
        case .object(let o): return o.compactMapValues { $0.isNull ? nil : renderable($0) }
        }
    }

    private static func reason(_ error: any Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect: "a section is closed with another name than it was opened with"
        case .unfinishedName: "a tag is not closed (missing }})"
        case .expectedSectionEnd: "a section is not closed ({{/name}} missing)"
        case .invalidSetDelimiter: "malformed set-delimiter tag"
        case .invalidConfigVariableSyntax, .unrecognisedConfigVariable: "unsupported pragma"
        case .transformAppliedToInheritanceSection, .illegalTokenInsideInheritSection, .textInsideInheritSection:
            "template inheritance is not supported here"
        // The parser ran off the end of the template inside a tag.
        case nil: "\(error)" == "overflow" ? "the template ends inside a tag (missing }})" : "\(error)"
        }
    }
}
