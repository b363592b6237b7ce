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

    func holds(_ variables: [String: JSONValue]) -> Bool {
        switch self {
        case .include(let v): LiteralValue.resolve(v, variables: variables) == .bool(true)
        case .skip(let v): LiteralValue.resolve(v, variables: variables) != .bool(true)
        }
    }
}

/// One field in a selection set, after fragment inlining.
struct FieldSelection: Sendable {
    var responseKey: String
    var name: String
    var arguments: [(name: String, value: any Value)]
    var conditions: [SelectionCondition]
    var children: [FieldSelection]
    var location: Position
    /// The children need runtime collection (conditions or repeated response keys).
    var childrenNeedCollection: Bool
}

extension [FieldSelection] {
    /// The fields of one selection set as the response shows them (spec §6.3.2 CollectFields):
    /// conditions applied, repeated response keys merged. Without conditions or repeats the
    /// selections are returned as they are, at no cost.
    func collect(variables: [String: JSONValue], needsCollection: Bool) -> [FieldSelection] {
        guard needsCollection else { return self }
        var result: [FieldSelection] = []
        var indexByKey: [String: Int] = [:]
        for selection in self where selection.conditions.allSatisfy({ $0.holds(variables) }) {
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
