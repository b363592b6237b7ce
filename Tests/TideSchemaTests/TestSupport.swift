import Foundation
import TideModel
import TideSchema

/// The package root (…/Tests/TideSchemaTests/TestSupport.swift → …).
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func path(_ relative: String) -> String { packageRoot.appendingPathComponent(relative).path }

/// The diagnostics of loading `sdl` (empty when it loads).
func diagnostics(_ sdl: String) -> [SchemaDiagnostic] {
    do {
        _ = try SchemaLoader.load(source: sdl, file: "test.graphql")
        return []
    } catch {
        return error.diagnostics
    }
}

/// `line:column: message`, the form the tables use.
func positioned(_ diagnostic: SchemaDiagnostic) -> String { "\(diagnostic.location): \(diagnostic.message)" }

func loadExample() throws -> AppSchema {
    try SchemaLoader.load(path: path("Schema/example.graphql"))
}
