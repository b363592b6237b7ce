import GraphQL
import TideModel

/// A GraphQL type reference (`[Note]!`), independent of GraphQLSwift's runtime type objects.
indirect enum TypeRef: Sendable, Hashable, CustomStringConvertible {
    case named(String)
    case list(TypeRef)
    case nonNull(TypeRef)

    init(_ ast: any GraphQL.`Type`) {
        switch ast {
        case let t as NonNullType: self = .nonNull(TypeRef(t.type))
        case let t as ListType: self = .list(TypeRef(t.type))
        case let t as NamedType: self = .named(t.name.value)
        default: self = .named("?")
        }
    }

    var namedType: String {
        switch self {
        case .named(let n): n
        case .list(let t), .nonNull(let t): t.namedType
        }
    }

    var isNonNull: Bool { if case .nonNull = self { true } else { false } }

    /// The type without its outer non-null wrapper.
    var nullable: TypeRef { if case .nonNull(let t) = self { t } else { self } }

    var description: String {
        switch self {
        case .named(let n): n
        case .list(let t): "[\(t)]"
        case .nonNull(let t): "\(t)!"
        }
    }
}

/// The named types of the generated schema, read once from its SDL: what the executor needs
/// to coerce inputs and shape outputs without going through GraphQLSwift's type objects.
struct TypeTable: Sendable {
    enum Kind: Sendable, Hashable {
        case scalar
        case enumeration(Set<String>)
        case object([String: OutputField])
        /// Its member object types.
        case union([String])
        /// Fields in declaration order, and their names for unknown-field checks.
        case inputObject([InputField], names: Set<String>)
    }

    struct OutputField: Sendable, Hashable {
        var type: TypeRef
        var arguments: [InputField]
    }

    struct InputField: Sendable, Hashable {
        var name: String
        var type: TypeRef
        var defaultValue: JSONValue?
    }

    private(set) var kinds: [String: Kind] = [:]

    init(sdl document: Document) {
        for definition in document.definitions {
            switch definition {
            case let d as ObjectTypeDefinition:
                var fields: [String: OutputField] = [:]
                for f in d.fields {
                    fields[f.name.value] = OutputField(type: TypeRef(f.type), arguments: f.arguments.map(Self.inputField))
                }
                kinds[d.name.value] = .object(fields)
            case let d as InputObjectTypeDefinition:
                kinds[d.name.value] = .inputObject(d.fields.map(Self.inputField), names: Set(d.fields.map(\.name.value)))
            case let d as EnumTypeDefinition:
                kinds[d.name.value] = .enumeration(Set(d.values.map(\.name.value)))
            case let d as UnionTypeDefinition:
                kinds[d.name.value] = .union(d.types.map(\.name.value))
            case let d as ScalarTypeDefinition:
                kinds[d.name.value] = .scalar
            default:
                continue
            }
        }
        for builtin in ["String", "Int", "Float", "Boolean", "ID"] where kinds[builtin] == nil {
            kinds[builtin] = .scalar
        }
    }

    private static func inputField(_ d: InputValueDefinition) -> InputField {
        InputField(
            name: d.name.value,
            type: TypeRef(d.type),
            defaultValue: d.defaultValue.map { LiteralValue.resolve($0, variables: [:]) }
        )
    }

    func kind(of name: String) -> Kind? { kinds[name] }

    func outputField(_ type: String, _ field: String) -> OutputField? {
        if case .object(let fields) = kinds[type] { fields[field] } else { nil }
    }
}
