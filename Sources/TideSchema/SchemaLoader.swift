import Foundation
import GraphQL
import TideModel

/// Reads an annotated SDL schema (ARCHITECTURE §2) into an `AppSchema`.
///
/// ```swift
/// let schema = try SchemaLoader.load(path: "Schema/example.graphql")
/// print(SDLGenerator.generate(schema))          // the client-facing API
/// ```
///
/// Syntax is checked by GraphQLSwift's parser; everything else (directives, types, names) by
/// this module, which reports every problem it finds, each at the position of the offending
/// type, field, directive or argument.
public enum SchemaLoader {
    /// Loads the schema file at `path`. An unreadable file is one diagnostic at 1:1.
    public static func load(path: String) throws(SchemaLoadError) -> AppSchema {
        try load(source: read(path: path), file: path)
    }

    /// The text of the schema file at `path`; an unreadable file is one diagnostic at 1:1.
    public static func read(path: String) throws(SchemaLoadError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SchemaLoadError(diagnostics: [
                SchemaDiagnostic(
                    file: path, location: TideModel.SourceLocation(line: 1, column: 1),
                    message: "cannot read the schema file: \(error.localizedDescription)")
            ])
        }
    }

    /// Loads schema text; `file` only labels the diagnostics.
    public static func load(source: String, file: String = "<schema>") throws(SchemaLoadError) -> AppSchema {
        let document: Document
        do {
            document = try parse(source: Source(body: source, name: file))
        } catch let error as GraphQLError {
            throw SchemaLoadError(diagnostics: [syntaxDiagnostic(error, source: source, file: file)])
        } catch {
            throw SchemaLoadError(diagnostics: [
                SchemaDiagnostic(
                    file: file, location: TideModel.SourceLocation(line: 1, column: 1),
                    message: "syntax error: \(error)")
            ])
        }
        var builder = SchemaBuilder(file: file)
        let schema = builder.build(document)
        if !builder.diagnostics.isEmpty {
            throw SchemaLoadError(diagnostics: builder.sortedDiagnostics)
        }
        return schema
    }

    /// GraphQLSwift's message reads `Syntax Error <name> (3:7) Expected Name, found }` followed by
    /// a source excerpt; keep the sentence and the position.
    private static func syntaxDiagnostic(_ error: GraphQLError, source: String, file: String) -> SchemaDiagnostic {
        // `positions` are UTF-8 offsets; GraphQLSwift's own `locations` miscount lines after
        // non-ASCII text, so recount.
        let position = error.positions.first.map { TideModel.SourceLocation(utf8Offset: $0, in: source) }
            ?? error.locations.first.map { TideModel.SourceLocation(line: $0.line, column: $0.column) }
            ?? TideModel.SourceLocation(line: 1, column: 1)
        var sentence = error.message
        if let end = sentence.range(of: "\n\n") { sentence = String(sentence[..<end.lowerBound]) }
        if sentence.hasPrefix("Syntax Error"), let close = sentence.range(of: ") ") {
            sentence = String(sentence[close.upperBound...])
        }
        return SchemaDiagnostic(file: file, location: position, message: "syntax error: \(sentence)")
    }
}
