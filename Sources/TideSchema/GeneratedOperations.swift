import TideModel

/// One root field of the generated API (ARCHITECTURE §3), so that the engine never re-derives names.
public struct GeneratedOperation: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case get, list, sync, search
        /// A query by a secondary index (`@index(queryField:)`).
        case indexQuery(indexName: String)
        case create, update, delete
        case onCreate, onUpdate, onDelete
        /// An endpoint or opt-out operation of the notifications (no model).
        case notification(NotificationOperation)
    }

    /// `Query`, `Mutation` or `Subscription`.
    public var rootType: String
    /// e.g. `listNotes`.
    public var fieldName: String
    /// The model's name; empty for a notification operation.
    public var model: String
    public var kind: Kind

    public init(rootType: String, fieldName: String, model: String, kind: Kind) {
        self.rootType = rootType
        self.fieldName = fieldName
        self.model = model
        self.kind = kind
    }
}

extension GeneratedOperation.Kind {
    /// An endpoint or opt-out operation (it reads and writes no record).
    public var isNotification: Bool {
        if case .notification = self { true } else { false }
    }
}

/// The endpoint and opt-out operations of ARCHITECTURE §10.2, generated when the server runs
/// with notifications (`SDLGenerator.generate(_:notifications:)`); the raw value is the root field.
public enum NotificationOperation: String, Sendable, Hashable, CaseIterable {
    case registerEndpoint, removeEndpoint, myEndpoints, setNotificationOptOut

    /// `myEndpoints` is a query, the others are mutations.
    public var rootType: String { self == .myEndpoints ? "Query" : "Mutation" }
}

extension GeneratedOperation {
    /// The notification operations' root fields, in the order of the generated SDL.
    public static let notificationOperations: [GeneratedOperation] = NotificationOperation.allCases.map {
        GeneratedOperation(rootType: $0.rootType, fieldName: $0.rawValue, model: "", kind: .notification($0))
    }
}

extension AppSchema {
    /// Every generated root field, in the order of the generated SDL: all queries (per model:
    /// get, list, sync, index queries, search), then all mutations, then all subscriptions.
    public var generatedOperations: [GeneratedOperation] {
        var queries: [GeneratedOperation] = []
        var mutations: [GeneratedOperation] = []
        var subscriptions: [GeneratedOperation] = []
        for model in models {
            let names = ModelNames(model)
            let ops = model.operations
            func add(_ list: inout [GeneratedOperation], _ root: String, _ kind: GeneratedOperation.Kind, _ enabled: Bool) {
                guard enabled, let name = names.fieldName(kind) else { return }
                list.append(GeneratedOperation(rootType: root, fieldName: name, model: model.name, kind: kind))
            }
            add(&queries, "Query", .get, ops.get)
            add(&queries, "Query", .list, ops.list)
            add(&queries, "Query", .sync, ops.sync)
            for index in model.indexes where index.queryField != nil {
                add(&queries, "Query", .indexQuery(indexName: index.name), true)
            }
            add(&queries, "Query", .search, model.searchableFields != nil)
            add(&mutations, "Mutation", .create, ops.create)
            add(&mutations, "Mutation", .update, ops.update)
            add(&mutations, "Mutation", .delete, ops.delete)
            add(&subscriptions, "Subscription", .onCreate, ops.onCreate)
            add(&subscriptions, "Subscription", .onUpdate, ops.onUpdate)
            add(&subscriptions, "Subscription", .onDelete, ops.onDelete)
        }
        return queries + mutations + subscriptions
    }
}

/// The names Amplify derives from a model name: root fields and generated types.
struct ModelNames {
    let model: ModelType
    /// The model name with its first letter upper-cased (Amplify's `toUpper`).
    let upper: String
    let plural: String

    init(_ model: ModelType) {
        self.model = model
        upper = Self.upperFirst(model.name)
        plural = Self.upperFirst(model.pluralName)
    }

    /// The key of an operation in `ModelType.customOperationNames`.
    static func key(_ kind: GeneratedOperation.Kind) -> String? {
        switch kind {
        case .get: "get"
        case .list: "list"
        case .sync: "sync"
        case .create: "create"
        case .update: "update"
        case .delete: "delete"
        case .onCreate: "onCreate"
        case .onUpdate: "onUpdate"
        case .onDelete: "onDelete"
        case .search, .indexQuery, .notification: nil
        }
    }

    /// Amplify's default root field name for an operation of a model named `name` with plural `plural`.
    static func defaultFieldName(_ kind: GeneratedOperation.Kind, name: String, plural: String) -> String? {
        let upper = upperFirst(name)
        let plural = upperFirst(plural)
        switch kind {
        case .get: return "get\(upper)"
        case .list: return "list\(plural)"
        case .sync: return "sync\(plural)"
        case .search: return "search\(plural)"
        case .create: return "create\(upper)"
        case .update: return "update\(upper)"
        case .delete: return "delete\(upper)"
        case .onCreate: return "onCreate\(upper)"
        case .onUpdate: return "onUpdate\(upper)"
        case .onDelete: return "onDelete\(upper)"
        case .indexQuery, .notification: return nil
        }
    }

    func fieldName(_ kind: GeneratedOperation.Kind) -> String? {
        if case .indexQuery(let indexName) = kind {
            return model.indexes.first { $0.name == indexName }?.queryField
        }
        if let key = Self.key(kind), let custom = model.customOperationNames[key] { return custom }
        return Self.defaultFieldName(kind, name: model.name, plural: model.pluralName)
    }

    var connection: String { "Model\(upper)Connection" }
    var createInput: String { "Create\(upper)Input" }
    var updateInput: String { "Update\(upper)Input" }
    var deleteInput: String { "Delete\(upper)Input" }
    var filterInput: String { "Model\(upper)FilterInput" }
    var conditionInput: String { "Model\(upper)ConditionInput" }
    var subscriptionFilterInput: String { "ModelSubscription\(upper)FilterInput" }
    var searchableFilterInput: String { "Searchable\(upper)FilterInput" }
    var searchableSortInput: String { "Searchable\(upper)SortInput" }
    var searchableSortableFields: String { "Searchable\(upper)SortableFields" }
    var searchableConnection: String { "Searchable\(upper)Connection" }
    var searchableAggregationInput: String { "Searchable\(upper)AggregationInput" }
    var searchableAggregateField: String { "Searchable\(upper)AggregateField" }

    /// `Model<X><IndexName>CompositeKeyConditionInput`, for an index with several sort key fields.
    func compositeKeyConditionInput(_ index: Index) -> String {
        "Model\(upper)\(Self.upperFirst(index.name))CompositeKeyConditionInput"
    }
    func compositeKeyInput(_ index: Index) -> String {
        "Model\(upper)\(Self.upperFirst(index.name))CompositeKeyInput"
    }

    /// The index query argument holding the sort key condition: the field name, or for several
    /// fields their camel-cased concatenation (`statusCreatedAt`), as Amplify names it.
    static func sortKeyArgument(_ index: Index) -> String? {
        guard let first = index.sortKeyFields.first else { return nil }
        return lowerFirst(first) + index.sortKeyFields.dropFirst().map(upperFirst).joined()
    }

    /// Amplify's default index name: `commentsByPostIdAndCreatedAt`.
    static func defaultIndexName(model: String, field: String, sortKeyFields: [String]) -> String {
        lowerFirst(Pluralization.plural(model)) + "By" + ([field] + sortKeyFields).map(upperFirst).joined(separator: "And")
    }

    static func upperFirst(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }
    static func lowerFirst(_ s: String) -> String { s.prefix(1).lowercased() + s.dropFirst() }
}
