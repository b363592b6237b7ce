/// The GraphQL documents the client sends for one model, written once (Amplify's names:
/// `CreateNoteInput`, `ModelNoteFilterInput`, the root fields from `AppSchema.generatedOperations`).
struct GraphQLDocuments: Sendable {
    /// Root field and input type of each write (create, update, delete) the schema generates.
    let writes: [OutboxEntry.Operation: (field: String, input: String)]
    let get: String?
    let sync: String?
    /// `onCreateX`, `onUpdateX`, `onDeleteX` subscriptions with their root fields.
    let subscriptions: [(field: String, document: String)]

    init(model: String, operations names: ModelDescription.Operations, selection fields: String) {
        let upper = model.prefix(1).uppercased() + model.dropFirst()
        let selection = "{ \(fields) }"
        self.selection = selection
        var writes: [OutboxEntry.Operation: (field: String, input: String)] = [:]
        writes[.create] = names.create.map { ($0, "Create\(upper)Input") }
        writes[.update] = names.update.map { ($0, "Update\(upper)Input") }
        writes[.delete] = names.delete.map { ($0, "Delete\(upper)Input") }
        self.writes = writes
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

    private let selection: String

    /// One mutation with `count` writes of one kind, root fields aliased `w0`, `w1` … with inputs
    /// `$w0`, `$w1` …; nil when the schema has no such write. The server runs them in order,
    /// each its own commit (spec §6.2.2), and answers each under its alias.
    func writes(_ operation: OutboxEntry.Operation, count: Int) -> String? {
        guard let write = writes[operation], count >= 1 else { return nil }
        let variables = (0..<count).map { "$w\($0): \(write.input)!" }.joined(separator: ", ")
        let fields = (0..<count).map { "w\($0): \(write.field)(input: $w\($0)) \(selection)" }.joined(separator: " ")
        return "mutation W(\(variables)) { \(fields) }"
    }
}
