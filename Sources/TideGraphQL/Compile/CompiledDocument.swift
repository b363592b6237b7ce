import GraphQL
import TideModel

/// A line and column in a request document (1-based).
typealias Position = TideModel.SourceLocation

/// A validated document reduced to what execution needs: per operation, its variables and a
/// tree of field selections with fragments already inlined. Built once per distinct document
/// text and shared by every request that sends the same text.
struct CompiledDocument: Sendable {
    var operations: [CompiledOperation]

    /// The operation a request names (GraphQL spec §6.1 GetOperation).
    func operation(named name: String?) -> Result<CompiledOperation, GraphQLFailure> {
        if let name {
            guard let op = operations.first(where: { $0.name == name }) else {
                return .failure(.request(message: "Unknown operation named \"\(name)\".", code: .badUserInput))
            }
            return .success(op)
        }
        guard operations.count == 1 else {
            return .failure(.request(message: "Must provide operation name if query contains multiple operations.", code: .badUserInput))
        }
        return .success(operations[0])
    }
}

enum OperationKind: String, Sendable {
    case query, mutation, subscription

    var rootType: String {
        switch self {
        case .query: "Query"
        case .mutation: "Mutation"
        case .subscription: "Subscription"
        }
    }
}

struct CompiledOperation: Sendable {
    var name: String?
    var kind: OperationKind
    var variables: [VariableDefinitionPlan]
    var selections: [FieldSelection]
    /// The root selections need runtime collection (conditions or repeated response keys).
    var rootNeedsCollection: Bool
    /// Every root field is `__schema`, `__type` or `__typename` (and at least one is not `__typename`).
    var isIntrospection: Bool
    /// Some root field is `__schema` or `__type`.
    var touchesIntrospection: Bool
    var depth: Int
    var aliasCount: Int
}

struct VariableDefinitionPlan: Sendable {
    var name: String
    var type: TypeRef
    var defaultValue: JSONValue?
}

/// `@include(if:)` / `@skip(if:)` on a field or fragment.
enum SelectionCondition: Sendable {
    case include(any Value)
    case skip(any Value)
    /// Inside `... on T` of a union: only when the value is a `T`.
    case onType(String)

    /// `concreteType`: the type of the value being written, for a union's members.
    func holds(_ variables: [String: JSONValue], concreteType: String?) -> Bool {
        switch self {
        case .include(let v): LiteralValue.resolve(v, variables: variables) == .bool(true)
        case .skip(let v): LiteralValue.resolve(v, variables: variables) != .bool(true)
        case .onType(let name): concreteType == nil || concreteType == name
        }
    }
}

/// One field in a selection set, after fragment inlining, with what the schema says about it
/// resolved when the document is compiled: writing a response looks nothing up by name.
struct FieldSelection: Sendable {
    var responseKey: String
    var name: String
    var arguments: [(name: String, value: ArgumentValue)]
    var conditions: [SelectionCondition]
    var children: [FieldSelection]
    var location: Position
    /// The children need runtime collection (conditions or repeated response keys).
    var childrenNeedCollection: Bool
    /// The field's output type; nil for `__typename` (and for a field the schema lacks, which
    /// validation has already refused).
    var type: TypeRef?
    /// The field's named type is an object type, written through `children`.
    var isObject: Bool
    /// Where a model record holds the field's value.
    var recordSource: RecordSource
}

/// An argument as the document gives it, prepared for execution.
enum ArgumentValue: Sendable {
    /// `$name`: the variable's coerced value; an unset variable counts as absent.
    case variable(String)
    /// A literal without variables, resolved once.
    case constant(JSONValue)
    /// A list or input object with variables inside, resolved per request.
    case literal(any Value)

    init(_ node: any Value) {
        if let variable = node as? Variable {
            self = .variable(variable.name.value)
        } else if Self.containsVariable(node) {
            self = .literal(node)
        } else {
            self = .constant(LiteralValue.resolve(node, variables: [:]))
        }
    }

    private static func containsVariable(_ node: any Value) -> Bool {
        switch node {
        case is Variable: true
        case let list as ListValue: list.values.contains(where: containsVariable)
        case let object as ObjectValue: object.fields.contains { containsVariable($0.value) }
        default: false
        }
    }
}

/// Where a field's value sits in a ``Record``: one of its metadata properties, or its fields.
enum RecordSource: Sendable {
    case meta(Record.Meta)
    case field

    /// The source of `field` on an object of type `parent` (`model` when it is a model type).
    init(field: String, model: ModelType?) {
        let meta = Record.Meta(
            field: field, createdAtField: model?.createdAtField ?? "createdAt", updatedAtField: model?.updatedAtField ?? "updatedAt")
        self = meta.map(RecordSource.meta) ?? .field
    }

    func value(in record: Record, field: String) -> JSONValue {
        switch self {
        case .meta(let meta): record.value(of: meta)
        case .field: record.fields[field] ?? .null
        }
    }
}

extension [FieldSelection] {
    /// The fields of one selection set as the response shows them (spec §6.3.2 CollectFields):
    /// conditions applied, repeated response keys merged. Without conditions or repeats the
    /// selections are returned as they are, at no cost.
    func collect(variables: [String: JSONValue], needsCollection: Bool, concreteType: String? = nil) -> [FieldSelection] {
        guard needsCollection else { return self }
        var result: [FieldSelection] = []
        var indexByKey: [String: Int] = [:]
        for selection in self where selection.conditions.allSatisfy({ $0.holds(variables, concreteType: concreteType) }) {
            if let i = indexByKey[selection.responseKey] {
                result[i].children += selection.children
                result[i].childrenNeedCollection = true
            } else {
                indexByKey[selection.responseKey] = result.count
                var collected = selection
                collected.conditions = []
                result.append(collected)
            }
        }
        return result
    }
}
