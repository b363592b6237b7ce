import GraphQL
import Testing
import TideModel
import TideSchema

/// Loads `sdl`, failing the test with the diagnostics if it does not load.
private func load(_ sdl: String) throws -> AppSchema {
    do {
        return try SchemaLoader.load(source: sdl)
    } catch {
        Issue.record("did not load:\n\(error)")
        throw error
    }
}

/// The generated SDL must build and validate with GraphQLSwift (no `assumeValidSDL`).
private func buildGenerated(_ schema: AppSchema) throws -> GraphQLSchema {
    let built = try buildSchema(source: SDLGenerator.generate(schema))
    #expect(validateSchema(schema: built).map(\.message) == [])
    return built
}

@Test func generatorIsDeterministic() throws {
    let first = SDLGenerator.generate(try loadExample())
    let second = SDLGenerator.generate(try loadExample())
    #expect(first == second)
    let schema = try loadExample()
    #expect(SDLGenerator.generate(schema) == SDLGenerator.generate(schema))
    #expect(schema.generatedOperations == (try loadExample()).generatedOperations)
}

@Test func modelArgumentsShapeTheGeneratedAPI() throws {
    let schema = try load(
        """
        type Log
          @model(
            queries: { get: "fetchLog", list: null }
            mutations: { create: "recordLog", update: null, delete: false }
            subscriptions: { level: off }
            timestamps: { createdAt: "loggedAt", updatedAt: null }
          ) {
          message: String!
          loggedAt: AWSDateTime
        }
        """)
    let log = try #require(schema.model(named: "Log"))
    #expect(log.fields.map(\.name) == ["id", "message"])
    #expect(log.createdAtField == "loggedAt")
    #expect(log.updatedAtField == nil)
    #expect(log.customOperationNames == ["get": "fetchLog", "create": "recordLog"])
    #expect(
        log.operations
            == ModelOperations(
                get: true, list: false, sync: true, create: true, update: false, delete: false,
                onCreate: false, onUpdate: false, onDelete: false))
    #expect(
        schema.generatedOperations == [
            GeneratedOperation(rootType: "Query", fieldName: "fetchLog", model: "Log", kind: .get),
            GeneratedOperation(rootType: "Query", fieldName: "syncLogs", model: "Log", kind: .sync),
            GeneratedOperation(rootType: "Mutation", fieldName: "recordLog", model: "Log", kind: .create),
        ])

    let sdl = SDLGenerator.generate(schema)
    #expect(sdl.contains("  loggedAt: AWSDateTime!\n  _version: Int!\n"))
    #expect(!sdl.contains("updatedAt"))
    #expect(!sdl.contains("UpdateLogInput"))
    #expect(!sdl.contains("type Subscription"))
    #expect(!sdl.contains("ModelSubscriptionLogFilterInput"))
    #expect(sdl.contains("  recordLog(input: CreateLogInput!, condition: ModelLogConditionInput): Log\n"))
    #expect(sdl.contains("input CreateLogInput {\n  id: ID\n  message: String!\n  _version: Int\n}\n"))
    let built = try buildGenerated(schema)
    #expect(try built.queryType?.fields().keys.elements == ["fetchLog", "syncLogs"])
}

@Test func modelNamesMayRepeatTheDefaultsAndSubscriptionsTakeAListOfOne() throws {
    let schema = try load(
        """
        type Note @model(queries: { get: "getNote" }, subscriptions: { onCreate: ["onNewNote"], onDelete: [] }) {
          title: String
        }
        """)
    let note = try #require(schema.model(named: "Note"))
    #expect(note.customOperationNames == ["onCreate": "onNewNote"])
    #expect(note.operations.onDelete == false)
    #expect(schema.generatedOperations.filter { $0.rootType == "Subscription" }.map(\.fieldName) == ["onNewNote", "onUpdateNote"])
    _ = try buildGenerated(schema)
}

@Test func idAndOwnerAreAddedWhenMissing() throws {
    let schema = try load(
        """
        type Note @model @auth(rules: [{ allow: owner }, { allow: owner, ownerField: "editors", operations: [update, read] }]) {
          title: String
          editors: [String]
        }
        """)
    let note = try #require(schema.model(named: "Note"))
    #expect(note.fields.map { "\($0.name): \($0.type)" } == ["id: ID!", "title: String", "editors: [String]", "owner: String"])
    #expect(note.fields.first?.location == nil)
    #expect(note.authRules.map(\.ownerField) == ["owner", "editors"])
    #expect(note.authRules[1].operations == [.update, .read])
    let sdl = SDLGenerator.generate(schema)
    // Amplify's subscription arguments: one per owner rule that grants read.
    #expect(sdl.contains("  onCreateNote(filter: ModelSubscriptionNoteFilterInput, owner: String, editors: String): Note\n"))
    _ = try buildGenerated(schema)
}

@Test func ownerArgumentsSkipRulesWithoutRead() throws {
    let schema = try load(
        """
        type Note @model @auth(rules: [{ allow: owner, ownerField: "author", operations: [create, update] }, { allow: private }]) {
          author: ID
        }
        """)
    #expect(SDLGenerator.generate(schema).contains("  onUpdateNote(filter: ModelSubscriptionNoteFilterInput): Note\n"))
}

@Test func authOperationsAcceptAmplifysReadVariants() throws {
    let schema = try load(
        """
        type Note @model @auth(rules: [{ allow: private, operations: [get, list, listen, sync, search, create] }]) {
          title: String
        }
        """)
    #expect(schema.models[0].authRules[0].operations == [.read, .create])
    #expect(schema.models[0].authRules[0].ownerField == nil)
}

@Test func indexDefaultsFollowAmplify() throws {
    let schema = try load(
        """
        type Comment @model {
          postId: ID! @index(sortKeyFields: "createdAt") @index(name: "byPostQuery", queryField: "commentsByPost")
          authorId: ID @index
        }
        """)
    let comment = try #require(schema.model(named: "Comment"))
    #expect(
        comment.indexes.map { "\($0.name) \($0.field) \($0.sortKeyFields) \($0.queryField ?? "-")" } == [
            "commentsByPostIdAndCreatedAt postId [\"createdAt\"] -",
            "byPostQuery postId [] commentsByPost",
            "commentsByAuthorId authorId [] -",
        ])
    // Only an index with a queryField gets a query; without a sort key it has no key condition.
    #expect(schema.generatedOperations.filter { if case .indexQuery = $0.kind { true } else { false } }.map(\.fieldName) == ["commentsByPost"])
    let sdl = SDLGenerator.generate(schema)
    #expect(
        sdl.contains(
            "  commentsByPost(postId: ID!, sortDirection: ModelSortDirection, filter: ModelCommentFilterInput, limit: Int, nextToken: String): ModelCommentConnection\n"
        ))
    #expect(!sdl.contains("KeyConditionInput"))
    _ = try buildGenerated(schema)
}

@Test func sortKeyConditionsFollowTheSortFieldType() throws {
    let schema = try load(
        """
        enum Priority { LOW HIGH }
        type Event @model {
          calendarId: ID! @index(name: "byCalendar", sortKeyFields: ["startsAt"], queryField: "eventsByCalendar")
          roomId: ID @index(name: "byRoom", sortKeyFields: ["seats"], queryField: "eventsByRoom")
          ownerId: ID @index(name: "byOwner", sortKeyFields: ["priority"], queryField: "eventsByOwner")
          teamId: ID @index(name: "byTeam", sortKeyFields: ["score"], queryField: "eventsByTeam")
          groupId: ID @index(name: "byGroup", sortKeyFields: ["code"], queryField: "eventsByGroup")
          startsAt: AWSTimestamp
          seats: Int
          priority: Priority
          score: Float
          code: ID
        }
        """)
    let sdl = SDLGenerator.generate(schema)
    #expect(sdl.contains("eventsByCalendar(calendarId: ID!, startsAt: ModelIntKeyConditionInput,"))
    #expect(sdl.contains("eventsByRoom(roomId: ID!, seats: ModelIntKeyConditionInput,"))
    #expect(sdl.contains("eventsByOwner(ownerId: ID!, priority: ModelStringKeyConditionInput,"))
    #expect(sdl.contains("eventsByTeam(teamId: ID!, score: ModelFloatKeyConditionInput,"))
    #expect(sdl.contains("eventsByGroup(groupId: ID!, code: ModelIDKeyConditionInput,"))
    #expect(sdl.contains("input ModelIntKeyConditionInput {\n  eq: Int\n  le: Int\n  lt: Int\n  ge: Int\n  gt: Int\n  between: [Int]\n}\n"))
    #expect(sdl.contains("input ModelIDKeyConditionInput {\n  eq: ID\n"))
    _ = try buildGenerated(schema)
}

@Test func compositeSortKeysKeepAmplifysTypes() throws {
    let schema = try load(
        """
        enum Stage { OPEN CLOSED }
        type Ticket @model {
          boardId: ID! @index(name: "byBoard", sortKeyFields: ["stage", "createdAt"], queryField: "ticketsByBoard")
          stage: Stage
        }
        """)
    let sdl = SDLGenerator.generate(schema)
    #expect(sdl.contains("ticketsByBoard(boardId: ID!, stageCreatedAt: ModelTicketByBoardCompositeKeyConditionInput,"))
    // Every key but the last keeps its own type; the last is its base scalar.
    #expect(sdl.contains("input ModelTicketByBoardCompositeKeyInput {\n  stage: Stage\n  createdAt: String\n}\n"))
    _ = try buildGenerated(schema)
}

@Test func filtersLeaveOutEmbeddedAndJSONFieldsAndUseListInputsForEnumLists() throws {
    let schema = try load(
        """
        enum Kind { A B }
        type Place { name: String, kind: Kind }
        type Note @model {
          meta: AWSJSON
          place: Place
          places: [Place!]!
          kinds: [Kind!]
          kind: Kind
          when: AWSDate
          at: AWSTimestamp
        }
        """)
    let sdl = SDLGenerator.generate(schema)
    #expect(
        sdl.contains(
            """
            input ModelNoteFilterInput {
              id: ModelIDInput
              kinds: ModelKindListInput
              kind: ModelKindInput
              when: ModelStringInput
              at: ModelIntInput
              createdAt: ModelStringInput
            """))
    #expect(
        sdl.contains(
            "input ModelKindListInput {\n  eq: [Kind]\n  ne: [Kind]\n  contains: Kind\n  notContains: Kind\n}\n"))
    #expect(sdl.contains("  kinds: ModelSubscriptionStringInput\n  kind: ModelSubscriptionStringInput\n"))
    // Inputs carry embedded values as <Type>Input, keeping their nullability; update makes them optional.
    #expect(sdl.contains("input CreateNoteInput {\n  id: ID\n  meta: AWSJSON\n  place: PlaceInput\n  places: [PlaceInput!]!\n"))
    #expect(sdl.contains("input UpdateNoteInput {\n  id: ID!\n  meta: AWSJSON\n  place: PlaceInput\n  places: [PlaceInput!]\n"))
    #expect(sdl.contains("input PlaceInput {\n  name: String\n  kind: Kind\n}\n"))
    _ = try buildGenerated(schema)
}

@Test func searchableDefaultsToUnencryptedStringFields() throws {
    let schema = try load(
        """
        type Article @model @searchable {
          title: String!
          body: String @encrypted
          tags: [String]
          views: Int
        }
        """)
    #expect(schema.models[0].searchableFields == ["title", "tags"])
    let sdl = SDLGenerator.generate(schema)
    // Filters, sorts and aggregates take every scalar field but the encrypted ones; full-text
    // operators answer only on the indexed ones.
    #expect(sdl.contains("enum SearchableArticleSortableFields {\n  id\n  title\n  views\n  createdAt\n  updatedAt\n}\n"))
    #expect(sdl.contains("enum SearchableArticleAggregateField {\n  id\n  title\n  tags\n  views\n  createdAt\n  updatedAt\n}\n"))
    #expect(!sdl.contains("body: SearchableStringFilterInput"))
    _ = try buildGenerated(schema)
}

@Test func declaredTimestampsAreServerManaged() throws {
    let schema = try load(
        """
        scalar AWSDateTime
        "A note." type Note @model {
          \"\"\"
          Its title.
          \"\"\"
          title: String
          createdAt: AWSDateTime!
          updatedAt: AWSDateTime # declared, still managed
        }
        """)
    let note = try #require(schema.model(named: "Note"))
    #expect(note.fields.map(\.name) == ["id", "title"])
    let sdl = SDLGenerator.generate(schema)
    #expect(sdl.components(separatedBy: "  createdAt: AWSDateTime!\n").count == 2)
    #expect(!sdl.contains("input CreateNoteInput {\n  id: ID\n  title: String\n  createdAt"))
    _ = try buildGenerated(schema)
}

@Test func everyAWSScalarIsUsableAndDeclaredOnce() throws {
    let fields = Scalar.allCases.map { "  f\($0.rawValue): \($0.rawValue)" }.joined(separator: "\n")
    let schema = try load("scalar AWSJSON\nscalar AWSEmail\ntype Everything @model {\n\(fields)\n}\n")
    let sdl = SDLGenerator.generate(schema)
    for scalar in Scalar.allCases where scalar.isCustom {
        #expect(sdl.components(separatedBy: "scalar \(scalar.rawValue)\n").count == 2)
    }
    _ = try buildGenerated(schema)
}

@Test func readOnlyModelsHaveNoMutationsOrSubscriptions() throws {
    let schema = try load(
        """
        type Country @model(mutations: null, subscriptions: null) @auth(rules: [{ allow: public }]) {
          code: ID! @index(name: "byCode", queryField: "countryByCode")
          name: String!
        }
        """)
    #expect(schema.generatedOperations.map(\.fieldName) == ["getCountry", "listCountries", "syncCountries", "countryByCode"])
    let sdl = SDLGenerator.generate(schema)
    for absent in ["type Mutation", "type Subscription", "CreateCountryInput", "ModelCountryConditionInput"] {
        #expect(!sdl.contains(absent), "\(absent)")
    }
    let built = try buildGenerated(schema)
    #expect(built.mutationType == nil && built.subscriptionType == nil)
}

@Test func encryptedFieldsFilterOnPresenceAndBlindIndexesLikeStrings() throws {
    let schema = try load(
        """
        type Patient @model @auth(rules: [{ allow: owner }]) @searchable {
          name: String
          bloodType: String @encrypted(blindIndex: true) @auth(rules: [{ allow: owner, operations: [read] }])
          notes: [String] @encrypted
          place: Place
        }
        type Place { street: String @encrypted }
        """)
    let patient = try #require(schema.model(named: "Patient"))
    #expect(patient.fields.map(\.name) == ["id", "name", "bloodType", "bloodTypeBlindIndex", "notes", "place", "owner"])
    let companion = try #require(patient.field(named: "bloodTypeBlindIndex"))
    #expect(companion.blindIndexOf == "bloodType" && !companion.isEncrypted && companion.type.description == "String")
    #expect(companion.authRules == patient.field(named: "bloodType")?.authRules)
    #expect(patient.searchableFields == ["name", "owner"], "hashes are not searchable text")

    let built = try buildGenerated(schema)
    func fields(_ name: String) throws -> [String: String] {
        let type = try #require(built.getType(name: name) as? GraphQLInputObjectType)
        return Dictionary(uniqueKeysWithValues: try type.fields().map { ($0.key, "\($0.value.type)") })
    }
    for input in ["ModelPatientFilterInput", "ModelPatientConditionInput"] {
        let f = try fields(input)
        #expect(f["bloodType"] == "ModelEncryptedInput" && f["notes"] == "ModelEncryptedInput", "\(input)")
        #expect(f["bloodTypeBlindIndex"] == "ModelStringInput", "\(input)")
    }
    #expect(try fields("ModelEncryptedInput") == ["attributeExists": "Boolean"])
    let subscription = try fields("ModelSubscriptionPatientFilterInput")
    #expect(subscription["bloodType"] == nil && subscription["notes"] == nil)
    #expect(subscription["bloodTypeBlindIndex"] == "ModelSubscriptionStringInput")
    #expect(try fields("CreatePatientInput")["bloodTypeBlindIndex"] == "String")
    #expect(try fields("UpdatePatientInput")["bloodTypeBlindIndex"] == "String")
    let output = try #require(built.getType(name: "Patient") as? GraphQLObjectType)
    #expect(try output.fields()["bloodTypeBlindIndex"].map { "\($0.type)" } == "String")
}

@Test func notificationOperationsAreAddedOnlyWhenAskedFor() throws {
    let schema = try loadExample()
    #expect(SDLGenerator.notificationConflicts(schema) == [])
    let plain = try buildSchema(source: SDLGenerator.generate(schema))
    #expect(plain.getType(name: "Endpoint") == nil)
    let built = try buildSchema(source: SDLGenerator.generate(schema, notifications: true))
    #expect(validateSchema(schema: built).map(\.message) == [])
    #expect(try built.queryType?.fields()["myEndpoints"].map { "\($0.type)" } == "[Endpoint]!")
    let mutations = try #require(try built.mutationType?.fields())
    #expect(mutations["registerEndpoint"].map { Array($0.args.keys) } == ["input"])
    #expect(mutations["removeEndpoint"].map { Array($0.args.keys) } == ["id"])
    #expect(mutations["setNotificationOptOut"].map { Array($0.args.keys) } == ["channel", "topic", "optedOut"])
    #expect((built.getType(name: "NotificationChannel") as? GraphQLEnumType)?.values.map(\.name) == ["PUSH", "EMAIL", "SMS", "WEBHOOK"])
    #expect((built.getType(name: "PushPlatform") as? GraphQLEnumType)?.values.map(\.name) == ["APNS", "FCM"])
}

@Test func notificationNamesTheSchemaAlreadyUsesAreReported() throws {
    let schema = try load(
        """
        type Endpoint @model { id: ID!, url: String }
        type Device @model(queries: { list: "myEndpoints" }) { id: ID! }
        """)
    #expect(SDLGenerator.notificationConflicts(schema) == ["Endpoint", "myEndpoints"])
}
