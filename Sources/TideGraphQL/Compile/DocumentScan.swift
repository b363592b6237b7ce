/// A linear pass over a document's text that bounds its nesting before anything recursive
/// reads it.
///
/// GraphQLSwift's parser descends one call per bracket, and its validation and our compiler walk
/// the tree the same way: a document of a few kilobytes nested a few thousand levels deep
/// exhausts the stack of the thread that parses it. This scan counts brackets in a loop,
/// skipping strings, block strings and comments as the lexer does, and refuses a document that
/// nests more than ``GraphQLLimits/maxNesting`` brackets, or more than
/// ``GraphQLLimits/maxInputDepth`` lists and objects inside an argument list (argument values,
/// variable default values and list types). A closing bracket the parser does not expect ends
/// its parse, so the parser never nests deeper than the count here. It runs only when a
/// document is not in the compiled-document cache.
struct DocumentScan {
    enum Violation: Equatable {
        /// The bracket at this UTF-8 offset opens one level too many.
        case nesting(offset: Int)
        /// The list or object at this UTF-8 offset nests one level too deep inside an argument list.
        case inputDepth(offset: Int)
    }

    let maxNesting: Int
    let maxInputDepth: Int

    /// The first violation in the text, or nil.
    func firstViolation(in text: String) -> Violation? {
        var text = text
        return text.withUTF8 { scan($0) }
    }

    private func scan(_ bytes: UnsafeBufferPointer<UInt8>) -> Violation? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
        func isTripleQuote(_ i: Int) -> Bool {
            i + 2 < bytes.count && bytes[i] == quote && bytes[i + 1] == quote && bytes[i + 2] == quote
        }
        var depth = 0
        // The depth of each open `(`: at most `maxNesting` of them, since the scan stops there.
        var argumentLists: [Int] = []
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "#"):
                while i < bytes.count, bytes[i] != newline, bytes[i] != carriageReturn { i += 1 }
                continue
            case quote where isTripleQuote(i):
                i += 3
                while i < bytes.count, !isTripleQuote(i) {
                    i += bytes[i] == backslash && isTripleQuote(i + 1) ? 4 : 1
                }
                i += 3
                continue
            case quote:
                // A string ends at its closing quote; at a line end the lexer stops with an error.
                i += 1
                while i < bytes.count, bytes[i] != quote, bytes[i] != newline, bytes[i] != carriageReturn {
                    i += bytes[i] == backslash ? 2 : 1
                }
            case UInt8(ascii: "("):
                depth += 1
                if depth > maxNesting { return .nesting(offset: i) }
                argumentLists.append(depth)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maxNesting { return .nesting(offset: i) }
                if let list = argumentLists.last, depth - list > maxInputDepth { return .inputDepth(offset: i) }
            case UInt8(ascii: ")"), UInt8(ascii: "}"), UInt8(ascii: "]"):
                if argumentLists.last == depth { argumentLists.removeLast() }
                depth = max(0, depth - 1)
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
