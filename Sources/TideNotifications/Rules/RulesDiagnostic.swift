/// One problem in a rules file, at a line of it.
public struct RulesDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `FILE:LINE: reason`, the form `tidewater serve` prints before it exits.
    public var description: String { "\(file):\(line): \(message)" }
}

/// A rules file that cannot be used: every problem found, in file order.
public struct RulesFileError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [RulesDiagnostic]

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
