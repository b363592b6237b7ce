import TideModel

/// One problem found in an annotated schema, with the position of the offending node.
///
/// Its description reads like a compiler message, e.g.
/// `Schema/app.graphql:12:3: @ttl field 'expiresAt' must be an Int or AWSTimestamp epoch-seconds field`.
public struct SchemaDiagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path as given to the loader (or the `file` label given with the source text).
    public var file: String
    public var location: SourceLocation
    public var message: String

    public init(file: String, location: SourceLocation, message: String) {
        self.file = file
        self.location = location
        self.message = message
    }

    public var description: String { "\(file):\(location.line):\(location.column): \(message)" }
}

/// Everything wrong with a schema: loading reports all problems at once, in source order.
public struct SchemaLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [SchemaDiagnostic]

    public init(diagnostics: [SchemaDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic per line.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
