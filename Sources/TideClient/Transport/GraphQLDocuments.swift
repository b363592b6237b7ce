/// The GraphQL documents the client sends for one model, written once (Amplify's names:
/// `CreateNoteInput`, `ModelNoteFilterInput`, the root fields from `AppSchema.generatedOperations`).
struct GraphQLDocuments: Sendable {
    let create: String?
    let update: String?
    let delete: String?
    let get: String?
    let sync: String?
    /// `onCreateX`, `onUpdateX`, `onDeleteX` subscriptions with their root fields.
    let subscriptions: [(field: String, document: String)]

    init(model: String, operations names: ModelDescription.Operations, selection fields: String) {
        let upper = model.prefix(1).uppercased() + model.dropFirst()
        let selection = "{ \(fields) }"
        func mutation(_ field: String?, _ input: String) -> String? {
            field.map { "mutation M($input: \(input)!) { \($0)(input: $input) \(selection) }" }
        }
        create = mutation(names.create, "Create\(upper)Input")
        update = mutation(names.update, "Update\(upper)Input")
        delete = mutation(names.delete, "Delete\(upper)Input")
        get = names.get.map { "query G($id: ID!) { \($0)(id: $id) \(selection) }" }
        sync = names.sync.map {
            """
            query S($filter: Model\(upper)FilterInput, $limit: Int, $nextToken: String, $lastSync: AWSTimestamp) { \
            \($0)(filter: $filter, limit: $limit, nextToken: $nextToken, lastSync: $lastSync) \
            { items \(selection) nextToken startedAt } }
            """
        }
        subscriptions = [names.onCreate, names.onUpdate, names.onDelete].compactMap { $0 }.map {
            (field: $0, document: "subscription { \($0) \(selection) }")
        }
    }
}
