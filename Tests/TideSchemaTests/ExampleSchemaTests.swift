import GraphQL
import Testing
import TideModel
import TideSchema

@Test func exampleSchemaLoadsWithEveryDirective() throws {
    let schema = try loadExample()
    #expect(schema.models.map(\.name) == ["Note", "Post", "Comment", "Task"])
    #expect(schema.models.map(\.pluralName) == ["Notes", "Posts", "Comments", "Tasks"])
    #expect(schema.enums.map(\.name) == ["PostStatus", "TaskStatus"])
    #expect(schema.embeddedTypes.map(\.name) == ["Image", "ChecklistItem"])

    let note = try #require(schema.model(named: "Note"))
    #expect(
        note.fields.map { "\($0.name): \($0.type)" } == [
            "id: ID!", "title: String!", "body: String", "tags: [String!]", "done: Boolean", "priority: Int",
            "dueAt: AWSDateTime", "expiresAt: AWSTimestamp", "owner: String", "secretNote: String",
        ])
    #expect(note.field(named: "body")?.isEncrypted == true)
    #expect(note.field(named: "body")?.hasBlindIndex == false)
    #expect(note.ttlField == "expiresAt")
    #expect(note.searchableFields == ["title", "tags"])
    #expect(note.conflictStrategy == .automerge)
    #expect(note.operations == .all)
    #expect(note.createdAtField == "createdAt" && note.updatedAtField == "updatedAt")
    #expect(note.authRules.map(\.allow) == [.owner, .groups])
    #expect(note.authRules[0].ownerField == "owner")
    #expect(note.authRules[0].operations == Set(AuthRule.Operation.allCases))
    #expect(note.authRules[1].groups == ["admin"])
    #expect(note.field(named: "secretNote")?.authRules?.map(\.allow) == [.owner])
    #expect(note.field(named: "title")?.authRules == nil)
    #expect(note.location == TideModel.SourceLocation(line: 10, column: 6))
    #expect(note.field(named: "title")?.location == TideModel.SourceLocation(line: 16, column: 3))

    let post = try #require(schema.model(named: "Post"))
    #expect(post.conflictStrategy == .optimisticConcurrency)
    #expect(post.authRules.map(\.allow) == [.owner, .private, .public])
    #expect(post.authRules[1].operations == [.read])
    #expect(post.field(named: "cover")?.type == FieldType(base: .embedded("Image")))
    #expect(post.field(named: "status")?.type == FieldType(base: .enumeration("PostStatus"), isRequired: true))

    let comment = try #require(schema.model(named: "Comment"))
    #expect(
        comment.indexes == [
            Index(
                name: "byPost", field: "postId", sortKeyFields: ["createdAt"], queryField: "commentsByPost",
                location: TideModel.SourceLocation(line: 57, column: 15))
        ])

    let task = try #require(schema.model(named: "Task"))
    #expect(task.indexes.first?.sortKeyFields == ["priority", "dueDate"])
    #expect(task.field(named: "labels")?.isSet == true)
    #expect(task.field(named: "assigneeEmail")?.isEncrypted == true)
    #expect(task.field(named: "assigneeEmail")?.hasBlindIndex == true)
    #expect(task.field(named: "assigneeEmailBlindIndex")?.blindIndexOf == "assigneeEmail")
    #expect(task.authRules[1].groupsField == "editors")
    #expect(task.authRules[1].operations == [.read, .update])
    #expect(
        task.field(named: "checklist")?.type
            == FieldType(base: .embedded("ChecklistItem"), isList: true, isItemRequired: true))
}

@Test func exampleGeneratedSDLBuildsWithGraphQLSwift() throws {
    let sdl = SDLGenerator.generate(try loadExample())
    let schema = try buildSchema(source: sdl)
    #expect(validateSchema(schema: schema).isEmpty)
    #expect(schema.queryType?.name == "Query")
    #expect(schema.mutationType?.name == "Mutation")
    #expect(schema.subscriptionType?.name == "Subscription")

    // Root fields and their argument types, read back from the built schema.
    func signature(_ type: GraphQLObjectType?, _ field: String) throws -> String {
        let definition = try #require(try type?.fields()[field])
        let arguments = definition.args.map { "\($0.key): \($0.value.type)" }.joined(separator: ", ")
        return "\(field)(\(arguments)): \(definition.type)"
    }
    #expect(try signature(schema.queryType, "getNote") == "getNote(id: ID!): Note")
    #expect(
        try signature(schema.queryType, "listNotes")
            == "listNotes(filter: ModelNoteFilterInput, limit: Int, nextToken: String): ModelNoteConnection")
    #expect(
        try signature(schema.queryType, "syncNotes")
            == "syncNotes(filter: ModelNoteFilterInput, limit: Int, nextToken: String, lastSync: AWSTimestamp): ModelNoteConnection")
    #expect(
        try signature(schema.queryType, "searchNotes")
            == "searchNotes(filter: SearchableNoteFilterInput, sort: [SearchableNoteSortInput], limit: Int, nextToken: String, from: Int, aggregates: [SearchableNoteAggregationInput], minSeq: Int): SearchableNoteConnection")
    #expect(
        try signature(schema.queryType, "commentsByPost")
            == "commentsByPost(postId: ID!, createdAt: ModelStringKeyConditionInput, sortDirection: ModelSortDirection, filter: ModelCommentFilterInput, limit: Int, nextToken: String): ModelCommentConnection")
    #expect(
        try signature(schema.queryType, "tasksByStatus")
            == "tasksByStatus(status: TaskStatus!, priorityDueDate: ModelTaskByStatusCompositeKeyConditionInput, sortDirection: ModelSortDirection, filter: ModelTaskFilterInput, limit: Int, nextToken: String): ModelTaskConnection")
    #expect(
        try signature(schema.mutationType, "updateNote")
            == "updateNote(input: UpdateNoteInput!, condition: ModelNoteConditionInput): Note")
    #expect(
        try signature(schema.subscriptionType, "onCreateComment")
            == "onCreateComment(filter: ModelSubscriptionCommentFilterInput, owner: String): Comment")
}

@Test func exampleGeneratedSDLHasTheAmplifyShapes() throws {
    let sdl = SDLGenerator.generate(try loadExample())
    let expectedBlocks = [
        """
        type Note {
          id: ID!
          title: String!
          body: String
          tags: [String!]
          done: Boolean
          priority: Int
          dueAt: AWSDateTime
          expiresAt: AWSTimestamp
          owner: String
          secretNote: String
          createdAt: AWSDateTime!
          updatedAt: AWSDateTime!
          _version: Int!
          _deleted: Boolean
          _lastChangedAt: AWSTimestamp!
        }
        """,
        """
        type ModelNoteConnection {
          items: [Note]!
          nextToken: String
          startedAt: AWSTimestamp
        }
        """,
        """
        input CreateCommentInput {
          id: ID
          postId: ID!
          content: String!
          owner: String
          _version: Int
        }
        """,
        """
        input UpdateCommentInput {
          id: ID!
          postId: ID
          content: String
          owner: String
          _version: Int
        }
        """,
        """
        input DeleteCommentInput {
          id: ID!
          _version: Int
        }
        """,
        """
        input ModelCommentFilterInput {
          id: ModelIDInput
          postId: ModelIDInput
          content: ModelStringInput
          owner: ModelStringInput
          createdAt: ModelStringInput
          updatedAt: ModelStringInput
          and: [ModelCommentFilterInput]
          or: [ModelCommentFilterInput]
          not: ModelCommentFilterInput
          _deleted: ModelBooleanInput
        }
        """,
        """
        input ModelCommentConditionInput {
          postId: ModelIDInput
          content: ModelStringInput
          owner: ModelStringInput
          createdAt: ModelStringInput
          updatedAt: ModelStringInput
          and: [ModelCommentConditionInput]
          or: [ModelCommentConditionInput]
          not: ModelCommentConditionInput
          _deleted: ModelBooleanInput
        }
        """,
        """
        input ModelStringInput {
          ne: String
          eq: String
          le: String
          lt: String
          ge: String
          gt: String
          contains: String
          notContains: String
          between: [String]
          beginsWith: String
          attributeExists: Boolean
          in: [String]
          notIn: [String]
        }
        """,
        """
        input ModelIntInput {
          ne: Int
          eq: Int
          le: Int
          lt: Int
          ge: Int
          gt: Int
          between: [Int]
          attributeExists: Boolean
          in: [Int]
          notIn: [Int]
        }
        """,
        """
        input ModelBooleanInput {
          ne: Boolean
          eq: Boolean
          attributeExists: Boolean
        }
        """,
        """
        input ModelTaskStatusInput {
          eq: TaskStatus
          ne: TaskStatus
          in: [TaskStatus]
          notIn: [TaskStatus]
          attributeExists: Boolean
        }
        """,
        """
        input ModelSubscriptionIntInput {
          ne: Int
          eq: Int
          le: Int
          lt: Int
          ge: Int
          gt: Int
          between: [Int]
          in: [Int]
          notIn: [Int]
        }
        """,
        """
        input ModelStringKeyConditionInput {
          eq: String
          le: String
          lt: String
          ge: String
          gt: String
          between: [String]
          beginsWith: String
        }
        """,
        """
        input ModelTaskByStatusCompositeKeyConditionInput {
          eq: ModelTaskByStatusCompositeKeyInput
          le: ModelTaskByStatusCompositeKeyInput
          lt: ModelTaskByStatusCompositeKeyInput
          ge: ModelTaskByStatusCompositeKeyInput
          gt: ModelTaskByStatusCompositeKeyInput
          between: [ModelTaskByStatusCompositeKeyInput]
          beginsWith: ModelTaskByStatusCompositeKeyInput
        }
        """,
        """
        input ModelTaskByStatusCompositeKeyInput {
          priority: Int
          dueDate: String
        }
        """,
        """
        enum ModelSortDirection {
          ASC
          DESC
        }
        """,
        """
        input CreateTaskInput {
          id: ID
          title: String!
          status: TaskStatus!
          priority: Int
          dueDate: AWSDate
          labels: [String!]
          assigneeEmail: String
          assigneeEmailBlindIndex: String
          checklist: [ChecklistItemInput!]
          editors: [String]
          owner: String
          _version: Int
        }
        """,
        """
        input ChecklistItemInput {
          text: String!
          done: Boolean!
        }
        """,
        """
        type SearchableNoteConnection {
          items: [Note]!
          nextToken: String
          total: Int
          aggregateItems: [SearchableAggregateResult]!
        }
        """,
        """
        input SearchableNoteSortInput {
          field: SearchableNoteSortableFields
          direction: SearchableSortDirection
        }
        """,
        """
        "An ISO 8601 date and time with a time zone offset, e.g. 2024-05-01T12:30:00.000Z."
        scalar AWSDateTime
        """,
    ]
    for block in expectedBlocks {
        #expect(sdl.contains(block + "\n"), "missing:\n\(block)")
    }
    // Embedded and AWSJSON fields are not filterable; the model filter leaves Post.cover out.
    #expect(!sdl.contains("cover: Model"))
    #expect(sdl.contains("  \"Fetches one Note by id; null when there is none or it was deleted.\"\n  getNote(id: ID!): Note\n"))
}

@Test func exampleGeneratedOperationsListEveryRootField() throws {
    let operations = try loadExample().generatedOperations
    let comments = operations.filter { $0.model == "Comment" }
    #expect(
        comments == [
            GeneratedOperation(rootType: "Query", fieldName: "getComment", model: "Comment", kind: .get),
            GeneratedOperation(rootType: "Query", fieldName: "listComments", model: "Comment", kind: .list),
            GeneratedOperation(rootType: "Query", fieldName: "syncComments", model: "Comment", kind: .sync),
            GeneratedOperation(
                rootType: "Query", fieldName: "commentsByPost", model: "Comment", kind: .indexQuery(indexName: "byPost")),
            GeneratedOperation(rootType: "Mutation", fieldName: "createComment", model: "Comment", kind: .create),
            GeneratedOperation(rootType: "Mutation", fieldName: "updateComment", model: "Comment", kind: .update),
            GeneratedOperation(rootType: "Mutation", fieldName: "deleteComment", model: "Comment", kind: .delete),
            GeneratedOperation(rootType: "Subscription", fieldName: "onCreateComment", model: "Comment", kind: .onCreate),
            GeneratedOperation(rootType: "Subscription", fieldName: "onUpdateComment", model: "Comment", kind: .onUpdate),
            GeneratedOperation(rootType: "Subscription", fieldName: "onDeleteComment", model: "Comment", kind: .onDelete),
        ])
    #expect(operations.contains(GeneratedOperation(rootType: "Query", fieldName: "searchNotes", model: "Note", kind: .search)))
    #expect(!operations.contains { $0.kind == .search && $0.model != "Note" })
    // Queries first, then mutations, then subscriptions: the order of the SDL.
    let roots = operations.map(\.rootType)
    #expect(roots == roots.sorted { ["Query", "Mutation", "Subscription"].firstIndex(of: $0)! < ["Query", "Mutation", "Subscription"].firstIndex(of: $1)! })

    // Every operation is a field of the built schema, and every root field is an operation.
    let built = try buildSchema(source: SDLGenerator.generate(try loadExample()))
    var fromSchema: [String] = []
    for root in [built.queryType, built.mutationType, built.subscriptionType] {
        guard let root else { continue }
        fromSchema += try root.fields().keys.map { "\(root.name).\($0)" }
    }
    #expect(Set(fromSchema) == Set(operations.map { "\($0.rootType).\($0.fieldName)" }))
    #expect(fromSchema.count == operations.count)
}
