import TideModel

/// The client-facing GraphQL SDL of an app schema, following Amplify/AppSync conventions
/// (ARCHITECTURE §3): per model its object type, connection, inputs, and root fields.
///
/// ```swift
/// let sdl = SDLGenerator.generate(try SchemaLoader.load(path: "Schema/example.graphql"))
/// ```
///
/// The text is deterministic (the same schema gives the same text) and is a complete schema:
/// it builds without `assumeValidSDL` (GraphQLSwift's `buildSchema`, graphql-core's
/// `build_schema`). The root fields it declares are `AppSchema.generatedOperations`.
public enum SDLGenerator {
    /// - Parameter notifications: adds the endpoint and opt-out operations and their types
    ///   (ARCHITECTURE §10.2); check ``notificationConflicts(_:)`` first.
    public static func generate(_ schema: AppSchema, notifications: Bool = false) -> String {
        declarations(for: schema, notifications: notifications).map(\.text).joined(separator: "\n\n") + "\n"
    }

    /// The names of `schema`'s generated API that the notification operations would declare a
    /// second time (a model named `Endpoint`, a root field named `myEndpoints`); empty when
    /// they can be added.
    public static func notificationConflicts(_ schema: AppSchema) -> [String] {
        let types = Set(declarations(for: schema).map(\.name))
        let fields = Set(schema.generatedOperations.map(\.fieldName))
        return NotificationSDL.declarations.map(\.name).filter(types.contains)
            + NotificationOperation.allCases.map(\.rawValue).filter(fields.contains)
    }

    /// Every top-level definition, in output order. Used by the loader to find name collisions,
    /// so a name may appear twice here (for an invalid schema).
    static func declarations(for schema: AppSchema, notifications: Bool = false) -> [SDLDeclaration] {
        var builder = SDLBuilder(schema: schema, notifications: notifications)
        return builder.build()
    }
}

/// One top-level definition of the generated SDL.
struct SDLDeclaration: Sendable {
    var name: String
    /// The declared type (model, embedded type or enum) it comes from; nil for shared inputs.
    var origin: String?
    /// True for the app's own types (echoed), false for generated ones.
    var isDeclared: Bool
    var text: String
}

/// A field of an object or input type: `name(arg: T, …): Type`.
struct SDLField {
    var name: String
    var type: String
    var arguments: [(name: String, type: String)] = []
    var description: String?

    init(_ name: String, _ type: String, arguments: [(name: String, type: String)] = [], description: String? = nil) {
        self.name = name
        self.type = type
        self.arguments = arguments
        self.description = description
    }
}

/// SDL text for the definitions the generator emits.
enum SDLText {
    static func object(_ name: String, _ fields: [SDLField], description: String? = nil) -> String {
        block("type \(name)", fields.map(line), description: description)
    }

    static func input(_ name: String, _ fields: [SDLField], description: String? = nil) -> String {
        block("input \(name)", fields.map(line), description: description)
    }

    static func enumeration(_ name: String, _ values: [String], description: String? = nil) -> String {
        block("enum \(name)", values.map { "  \($0)" }, description: description)
    }

    static func scalar(_ name: String, description: String) -> String {
        "\(quoted(description))\nscalar \(name)"
    }

    private static func block(_ head: String, _ lines: [String], description: String?) -> String {
        let prefix = description.map { quoted($0) + "\n" } ?? ""
        return prefix + head + " {\n" + lines.joined(separator: "\n") + "\n}"
    }

    private static func line(_ field: SDLField) -> String {
        let description = field.description.map { "  \(quoted($0))\n" } ?? ""
        let arguments = field.arguments.isEmpty
            ? "" : "(" + field.arguments.map { "\($0.name): \($0.type)" }.joined(separator: ", ") + ")"
        return "\(description)  \(field.name)\(arguments): \(field.type)"
    }

    /// A single-line GraphQL string.
    static func quoted(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return "\"\(escaped)\""
    }
}
