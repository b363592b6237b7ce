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
/// its parse, so the parser never nests deeper than the count here. It also counts tokens
/// (``GraphQLLimits/maxTokens``), as the lexer would within one or two: GraphQLSwift's
/// validation costs tens of microseconds per token. It runs only when a document is not in the
/// compiled-document cache.
struct DocumentScan {
    enum Violation: Equatable {
        /// The bracket at this UTF-8 offset opens one level too many.
        case nesting(offset: Int)
        /// The list or object at this UTF-8 offset nests one level too deep inside an argument list.
        case inputDepth(offset: Int)
        /// The token at this UTF-8 offset is one too many.
        case tokens(offset: Int)
    }

    let maxNesting: Int
    let maxInputDepth: Int
    let maxTokens: Int

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
        let dot = UInt8(ascii: ".")
        // A name or a number is one run of these bytes; a number's run also takes `.` (`1.5e-3`),
        // and `...` is a run of dots of its own, so `...Name` is two tokens as for the lexer.
        func isWordByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                true
            default: false
            }
        }
        func isNumberStart(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        var depth = 0
        var tokens = 0
        // The depth of each open `(`: at most `maxNesting` of them, since the scan stops there.
        var argumentLists: [Int] = []
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            // Whitespace, commas and a byte order mark are not tokens; everything else starts one.
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), newline, carriageReturn, UInt8(ascii: ","), UInt8(ascii: "#"), 0xEF, 0xBB, 0xBF:
                break
            default:
                tokens += 1
                if tokens > maxTokens { return .tokens(offset: i) }
            }
            switch byte {
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
            case dot:
                while i + 1 < bytes.count, bytes[i + 1] == dot { i += 1 }
            case let byte where isWordByte(byte):
                let number = isNumberStart(byte)
                while i + 1 < bytes.count, isWordByte(bytes[i + 1]) || (number && bytes[i + 1] == dot) { i += 1 }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
