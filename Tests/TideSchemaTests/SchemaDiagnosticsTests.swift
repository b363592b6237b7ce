import Testing
import TideModel
import TideSchema

/// One invalid schema and every diagnostic it must produce, as `line:column: message fragment`.
struct DiagnosticCase: Sendable, CustomTestStringConvertible {
    var name: String
    var sdl: String
    var expected: [String]
    var testDescription: String { name }

    init(_ name: String, _ sdl: String, _ expected: String...) {
        self.name = name
        self.sdl = sdl
        self.expected = expected
    }
}

let diagnosticCases: [DiagnosticCase] = [
    // Directives: unknown, misplaced, repeated, bad arguments.
    DiagnosticCase(
        "unknown directive", """
        type Note @model @foo {
          id: ID!
        }
        """, "1:18: unknown directive @foo"),
    DiagnosticCase(
        "Amplify relation directive", """
        type Note @model {
          postId: ID @hasMany
        }
        """, "2:14: unknown directive @hasMany; relations are not supported: store the id in an ID field"),
    DiagnosticCase(
        "@ttl on a field", """
        type Note @model {
          expiresAt: Int @ttl(field: "expiresAt")
        }
        """, "2:18: @ttl is allowed only on a @model type, not on a field"),
    DiagnosticCase(
        "@index on a type", """
        type Note @model @index(name: "x") {
          id: ID!
        }
        """, "1:18: @index is allowed only on a field of a @model type, not on a type"),
    DiagnosticCase(
        "@model on an enum", """
        type Note @model { id: ID! }
        enum Status @model { A }
        """, "2:13: @model is allowed only on an object type, not on an enum"),
    DiagnosticCase(
        "@auth on a field of an embedded type", """
        type Note @model { id: ID!, address: Address }
        type Address {
          street: String @auth(rules: [{ allow: owner }])
        }
        """, "3:18: @auth is allowed only on a @model type or a field of one, not on a field of the non-model type Address"),
    DiagnosticCase(
        "@searchable on an embedded type", """
        type Note @model { id: ID!, address: Address }
        type Address @searchable { street: String }
        """, "2:14: @searchable is allowed only on a @model type, not on a non-model type"),
    DiagnosticCase(
        "repeated directive", """
        type Note @model @conflict(strategy: AUTOMERGE) @conflict(strategy: AUTOMERGE) {
          id: ID!
        }
        """, "1:49: @conflict may appear only once on Note"),
    DiagnosticCase(
        "unknown argument", """
        type Note @model @ttl(field: "e", after: 3) {
          e: Int
        }
        """, "1:35: unknown argument 'after' for @ttl; expected field"),
    DiagnosticCase(
        "missing required argument", """
        type Note @model @ttl {
          e: Int
        }
        """, "1:18: @ttl requires the argument 'field'"),
    DiagnosticCase(
        "ill-typed argument", """
        type Note @model @ttl(field: 3) {
          e: Int
        }
        """, "1:30: @ttl(field:) must be a string, not an integer"),
    DiagnosticCase(
        "enum argument given as a string", """
        type Note @model @conflict(strategy: "AUTOMERGE") {
          id: ID!
        }
        """, "1:38: @conflict(strategy:) takes an enum value: write AUTOMERGE without quotes"),
    DiagnosticCase(
        "unknown conflict strategy", """
        type Note @model @conflict(strategy: LATEST_WINS) {
          id: ID!
        }
        """, "1:38: @conflict(strategy:) must be one of OPTIMISTIC_CONCURRENCY or AUTOMERGE, not LATEST_WINS"),
    DiagnosticCase(
        "@encrypted with an unknown argument", """
        type Note @model {
          body: String @encrypted(searchable: true)
        }
        """, "2:27: unknown argument 'searchable' for @encrypted; expected blindIndex"),
    DiagnosticCase(
        "unknown @model(queries:) key", """
        type Note @model(queries: { fetch: null }) {
          id: ID!
        }
        """, "1:29: unknown key 'fetch' in @model(queries:); expected get, list or sync"),
    DiagnosticCase(
        "two subscription names", """
        type Note @model(subscriptions: { onCreate: ["a", "b"] }) {
          id: ID!
        }
        """, "1:45: @model(subscriptions:) onCreate: Tidewater generates one subscription field per event; give a single name"),
    DiagnosticCase(
        "invalid renamed operation", """
        type Note @model(mutations: { create: "new-note" }) {
          id: ID!
        }
        """, "1:39: @model(mutations:) create: 'new-note' is not a valid GraphQL field name"),
    DiagnosticCase(
        "one name for both timestamps", """
        type Note @model(timestamps: { createdAt: "at", updatedAt: "at" }) {
          id: ID!
        }
        """, "1:30: @model(timestamps:) names both timestamps 'at'"),

    // Unsupported definitions.
    DiagnosticCase(
        "interface", """
        type Note @model { id: ID! }
        interface Node { id: ID! }
        """, "2:11: interface Node is not supported in a Tidewater schema"),
    DiagnosticCase(
        "implements", """
        type Note implements Entity @model { id: ID! }
        """, "1:22: interfaces are not supported in a Tidewater schema (Note implements Entity)"),
    DiagnosticCase(
        "union", """
        type Note @model { id: ID! }
        union Item = Note
        """, "2:7: union Item is not supported in a Tidewater schema"),
    DiagnosticCase(
        "input type", """
        type Note @model { id: ID! }
        input NoteInput { id: ID }
        """, "2:7: input type NoteInput is not supported in a Tidewater schema; input types are generated"),
    DiagnosticCase(
        "custom scalar", """
        type Note @model { id: ID! }
        scalar Date
        """, "2:8: custom scalar Date is not supported in a Tidewater schema"),
    DiagnosticCase(
        "schema definition", """
        type Note @model { id: ID! }
        schema { query: Note }
        """, "2:1: a schema definition is not supported in a Tidewater schema"),
    DiagnosticCase(
        "Query type", """
        type Note @model { id: ID! }
        type Query { notes: [Note] }
        """, "2:6: type Query is not supported in a Tidewater schema"),
    DiagnosticCase(
        "extend", """
        type Note @model { id: ID! }
        extend type Note @searchable
        """, "2:1: extend is not supported in a Tidewater schema"),
    DiagnosticCase(
        "directive definition", """
        directive @model on OBJECT
        type Note @model { id: ID! }
        """, "1:1: directive definition @model is not supported in a Tidewater schema"),
    DiagnosticCase(
        "an operation", """
        type Note @model { id: ID! }
        query { getNote(id: "1") { id } }
        """, "2:1: operations and fragments are not supported in a Tidewater schema"),
    DiagnosticCase(
        "no model", """
        type Address { street: String }
        """, "1:1: a Tidewater schema needs at least one @model type"),

    // Names.
    DiagnosticCase(
        "two models with one name", """
        type Note @model { id: ID! }
        type Other @model { id: ID! }
        type Note @model { title: String }
        """, "3:6: type Note is already declared at 1:6"),
    DiagnosticCase(
        "a model and an enum with one name", """
        type Note @model { id: ID! }
        enum Note { A }
        """, "2:6: type Note is already declared at 1:6"),
    DiagnosticCase(
        "a built-in scalar name", """
        type Note @model { id: ID! }
        enum String { A }
        """, "2:6: the name String is taken by a built-in scalar"),
    DiagnosticCase(
        "a reserved introspection name", """
        type Note @model { id: ID! }
        type __Meta { a: Int }
        """, "2:6: the name __Meta is reserved"),
    DiagnosticCase(
        "a reserved field name", """
        type Note @model {
          __typename: String
        }
        """, "2:3: the name Note.__typename is reserved"),
    DiagnosticCase(
        "an embedded type without fields", """
        type Note @model { id: ID!, place: Place }
        type Place
        """, "2:6: the non-model type Place must declare at least one field"),
    DiagnosticCase(
        "an enum without values", """
        type Note @model { id: ID!, kind: Kind }
        enum Kind
        """, "2:6: enum Kind must declare at least one value"),
    DiagnosticCase(
        "repeated field", """
        type Note @model {
          title: String
          title: String!
        }
        """, "3:3: field title is already declared in Note at 2:3"),
    DiagnosticCase(
        "repeated enum value", """
        type Note @model { id: ID! }
        enum Status { OPEN DONE OPEN }
        """, "2:25: enum value OPEN is already declared in Status at 2:15"),
    DiagnosticCase(
        "field arguments", """
        type Note @model {
          title(lang: String): String
        }
        """, "2:9: field arguments are not supported in a Tidewater schema (Note.title)"),

    // Model fields: id, reserved names, timestamps.
    DiagnosticCase(
        "id of another type", """
        type Note @model {
          id: String!
        }
        """, "2:3: Note.id must be ID!, not String!"),
    DiagnosticCase(
        "reserved _version", """
        type Note @model {
          id: ID!
          _version: Int
        }
        """, "3:3: Note._version uses a reserved name"),
    DiagnosticCase(
        "reserved filter combinator", """
        type Note @model {
          id: ID!
          not: Boolean
        }
        """, "3:3: Note.not uses a reserved name: the generated filter inputs use and, or and not"),
    DiagnosticCase(
        "createdAt of another type", """
        type Note @model {
          id: ID!
          createdAt: String
        }
        """, "3:3: Note.createdAt is managed by the server and must be AWSDateTime, not String"),
    DiagnosticCase(
        "renamed timestamp of another type", """
        type Note @model(timestamps: { createdAt: "createdOn" }) {
          id: ID!
          createdOn: AWSDate
        }
        """, "3:3: Note.createdOn is managed by the server and must be AWSDateTime, not AWSDate"),

    // Field types.
    DiagnosticCase(
        "nested list", """
        type Note @model {
          grid: [[Int]]
        }
        """, "2:10: nested lists are not supported (Note.grid)"),
    DiagnosticCase(
        "relation to a model", """
        type Post @model { id: ID! }
        type Comment @model {
          post: Post!
        }
        """, "3:9: Comment.post has the @model type Post: relations are not supported; store the id in an ID field"),
    DiagnosticCase(
        "unknown type", """
        type Note @model {
          when: Date
        }
        """, "2:9: unknown type Date (Note.when)"),
    DiagnosticCase(
        "embedded type containing itself through non-null fields", """
        type Note @model { id: ID!, a: A }
        type A { b: B! }
        type B { a: A! }
        """, "2:10: embedded type A contains itself through non-null fields (A.b → B.a); make one of them nullable"),

    // @ttl
    DiagnosticCase(
        "@ttl on a date-time", """
        type Note @model @ttl(field: "dueAt") {
          dueAt: AWSDateTime
        }
        """, "1:30: @ttl field 'dueAt' must be an Int or AWSTimestamp epoch-seconds field"),
    DiagnosticCase(
        "@ttl on a list", """
        type Note @model @ttl(field: "expiries") {
          expiries: [AWSTimestamp]
        }
        """, "1:30: @ttl field 'expiries' must be an Int or AWSTimestamp epoch-seconds field"),
    DiagnosticCase(
        "@ttl on a missing field", """
        type Note @model @ttl(field: "expiresAt") {
          id: ID!
        }
        """, "1:30: @ttl field 'expiresAt' does not exist in Note"),

    // @index
    DiagnosticCase(
        "@index on a list", """
        type Note @model {
          tags: [String] @index
        }
        """, "2:18: @index field Note.tags must be a non-list scalar or enum field (not AWSJSON), not [String]"),
    DiagnosticCase(
        "@index on an embedded type", """
        type Note @model {
          place: Place @index(name: "byPlace")
        }
        type Place { name: String }
        """, "2:16: @index field Note.place must be a non-list scalar or enum field (not AWSJSON), not Place"),
    DiagnosticCase(
        "@index with a missing sort key field", """
        type Comment @model {
          postId: ID! @index(name: "byPost", sortKeyFields: ["postedAt"])
        }
        """, "2:54: @index sort key field 'postedAt' does not exist in Comment"),
    DiagnosticCase(
        "@index with a Boolean sort key", """
        type Task @model {
          listId: ID! @index(name: "byList", sortKeyFields: ["done"])
          done: Boolean
        }
        """, "2:54: @index sort key field 'done' must be a non-list scalar or enum field other than Boolean and AWSJSON, not Boolean"),
    DiagnosticCase(
        "@index sorting by itself", """
        type Comment @model {
          postId: ID! @index(name: "byPost", sortKeyFields: ["postId"])
        }
        """, "2:54: @index sort key field 'postId' cannot be the indexed field itself"),
    DiagnosticCase(
        "two indexes with one name", """
        type Comment @model {
          postId: ID! @index(name: "byPost")
          authorId: ID @index(name: "byPost")
        }
        """, "3:29: index name 'byPost' is already used by another @index on Comment at 2:15"),
    DiagnosticCase(
        "two indexes with one default name", """
        type Comment @model {
          postId: ID! @index @index(queryField: "commentsByPost")
        }
        """, "2:22: index name 'commentsByPostId' is already used by another @index on Comment at 2:15"),
    DiagnosticCase(
        "an index query colliding with a generated query", """
        type Note @model { id: ID! }
        type Comment @model {
          noteId: ID! @index(name: "byNote", queryField: "listNotes")
        }
        """, "3:15: the generated field Query.listNotes for the index byNote of Comment collides with the one for model Note"),
    DiagnosticCase(
        "two index queries with one name", """
        type Comment @model {
          postId: ID! @index(name: "byPost", queryField: "byParent")
        }
        type Reaction @model {
          postId: ID! @index(name: "byPost", queryField: "byParent")
        }
        """, "5:15: the generated field Query.byParent for the index byPost of Reaction collides with the one for the index byPost of Comment"),
    DiagnosticCase(
        "an index query argument named like a paging argument", """
        type Comment @model {
          postId: ID! @index(name: "byPost", sortKeyFields: ["limit"], queryField: "commentsByPost")
          limit: Int
        }
        """, "2:15: the index query commentsByPost would have two arguments named 'limit'"),

    // @searchable
    DiagnosticCase(
        "@searchable with a missing field", """
        type Note @model @searchable(fields: ["title", "text"]) {
          title: String
        }
        """, "1:48: @searchable field 'text' does not exist in Note"),
    DiagnosticCase(
        "@searchable on an embedded field", """
        type Note @model @searchable(fields: ["place"]) {
          place: Place
        }
        type Place { name: String }
        """, "1:39: @searchable field 'place' must be a scalar or enum field, not Place"),
    DiagnosticCase(
        "@searchable without fields and without String fields", """
        type Note @model @searchable {
          priority: Int
        }
        """, "1:18: @searchable has no fields to index: Note has no unencrypted String fields"),

    // @encrypted and @set
    DiagnosticCase(
        "@encrypted on an Int", """
        type Note @model {
          priority: Int @encrypted
        }
        """, "2:17: @encrypted is allowed only on String or [String] fields; Note.priority is Int"),
    DiagnosticCase(
        "@encrypted(blindIndex: true) on a list", """
        type Note @model {
          tags: [String] @encrypted(blindIndex: true)
        }
        """, "2:18: @encrypted(blindIndex: true) is allowed only on String fields; Note.tags is [String]"),
    DiagnosticCase(
        "@encrypted(blindIndex: true) in a non-model type", """
        type Note @model {
          place: Place
        }
        type Place { city: String @encrypted(blindIndex: true) }
        """, "4:27: @encrypted(blindIndex: true) is allowed only on fields of @model types; Place.city is in a non-model type"),
    DiagnosticCase(
        "a field named like a blind index", """
        type Note @model {
          body: String @encrypted(blindIndex: true)
          bodyBlindIndex: String
        }
        """, "2:16: Note.bodyBlindIndex is the blind index of Note.body: rename the field that has this name"),
    DiagnosticCase(
        "@encrypted on an index key", """
        type Comment @model {
          postId: String @index(name: "byPost") @encrypted
        }
        """, "2:41: @encrypted cannot be used on Comment.postId, which is an @index key field"),
    DiagnosticCase(
        "@encrypted on the owner field", """
        type Note @model @auth(rules: [{ allow: owner }]) {
          owner: String @encrypted
        }
        """, "2:17: @encrypted cannot be used on Note.owner, which is an @auth owner field"),
    DiagnosticCase(
        "@encrypted on a searchable field", """
        type Note @model @searchable(fields: ["title"]) {
          title: String @encrypted
        }
        """, "2:17: @encrypted cannot be used on Note.title, which is a @searchable field"),
    DiagnosticCase(
        "@set on a scalar", """
        type Note @model {
          title: String @set
        }
        """, "2:17: @set is allowed only on list fields; Note.title is String"),

    // @auth
    DiagnosticCase(
        "unknown allow", """
        type Note @model @auth(rules: [{ allow: everyone }]) {
          id: ID!
        }
        """, "1:41: allow must be one of owner, groups, private or public, not everyone"),
    DiagnosticCase(
        "a rule without allow", """
        type Note @model @auth(rules: [{ operations: [read] }]) {
          id: ID!
        }
        """, "1:32: an @auth rule needs allow: owner, groups, private or public"),
    DiagnosticCase(
        "unknown rule key", """
        type Note @model @auth(rules: [{ allow: owner, identityClaim: "sub" }]) {
          id: ID!
        }
        """, "1:48: unknown key 'identityClaim' in an @auth rule"),
    DiagnosticCase(
        "ownerField naming no field", """
        type Note @model @auth(rules: [{ allow: owner, ownerField: "author" }]) {
          id: ID!
        }
        """, "1:60: ownerField 'author' does not name a field of Note"),
    DiagnosticCase(
        "ownerField of another type", """
        type Note @model @auth(rules: [{ allow: owner, ownerField: "priority" }]) {
          priority: Int
        }
        """, "1:60: ownerField 'priority' of Note must be a String, ID, [String] or [ID] field, not Int"),
    DiagnosticCase(
        "ownerField on a private rule", """
        type Note @model @auth(rules: [{ allow: private, ownerField: "owner" }]) {
          id: ID!
        }
        """, "1:50: ownerField is only valid with allow: owner"),
    DiagnosticCase(
        "groups rule without groups", """
        type Note @model @auth(rules: [{ allow: groups }]) {
          id: ID!
        }
        """, "1:32: an @auth groups rule needs groups"),
    DiagnosticCase(
        "empty groups", """
        type Note @model @auth(rules: [{ allow: groups, groups: [] }]) {
          id: ID!
        }
        """, "1:57: groups must name at least one group"),
    DiagnosticCase(
        "groups and groupsField", """
        type Note @model @auth(rules: [{ allow: groups, groups: ["a"], groupsField: "team" }]) {
          team: String
        }
        """, "1:32: an @auth groups rule takes either groups or groupsField, not both"),
    DiagnosticCase(
        "groupsField of another type", """
        type Task @model @auth(rules: [{ allow: groups, groupsField: "editors" }]) {
          editors: Int
        }
        """, "1:62: groupsField 'editors' of Task must be a String or [String] field, not Int"),
    DiagnosticCase(
        "groupsField naming no field", """
        type Task @model @auth(rules: [{ allow: groups, groupsField: "editors" }]) {
          id: ID!
        }
        """, "1:62: groupsField 'editors' does not name a field of Task"),
    DiagnosticCase(
        "unknown operation", """
        type Note @model @auth(rules: [{ allow: private, operations: [read, write] }]) {
          id: ID!
        }
        """, "1:69: each item of operations must be one of create, read, update, delete, get, list, listen, sync or search, not write"),
    DiagnosticCase(
        "provider not fitting the rule", """
        type Note @model @auth(rules: [{ allow: public, provider: userPools }]) {
          id: ID!
        }
        """, "1:59: provider userPools cannot be used with allow: public; use apiKey, iam or identityPool"),
    DiagnosticCase(
        "Lambda provider", """
        type Note @model @auth(rules: [{ allow: private, provider: function }]) {
          id: ID!
        }
        """, "1:60: provider function (Lambda authorizers) is not supported by Tidewater"),
    DiagnosticCase(
        "field-level @auth on a non-null field", """
        type Note @model {
          id: ID!
          secret: String! @auth(rules: [{ allow: owner }])
        }
        """,
        "3:3: field Note.secret has field-level @auth and must be nullable, because a caller who may not read it receives null"),
    DiagnosticCase(
        "field-level @auth on id", """
        type Note @model {
          id: ID! @auth(rules: [{ allow: owner }])
        }
        """, "2:11: Note.id cannot have field-level @auth"),

    // Generated names.
    DiagnosticCase(
        "renamed query colliding with another model's", """
        type Note @model { id: ID! }
        type Post @model(queries: { get: "getNote" }) { id: ID! }
        """, "2:6: the generated field Query.getNote for model Post collides with the one for model Note"),
    DiagnosticCase(
        "a declared type named like a generated one", """
        type Note @model { id: ID! }
        type CreateNoteInput { title: String }
        """, "2:6: type name CreateNoteInput collides with the type generated for Note; rename it"),
    DiagnosticCase(
        "two generated types with one name", """
        type Note @model { id: ID!, kind: SubscriptionString }
        enum SubscriptionString { A }
        """, "2:6: the type ModelSubscriptionStringInput generated for SubscriptionString collides with a shared generated type"),
    DiagnosticCase(
        "every query disabled", """
        type Note @model(queries: null) { id: ID! }
        """, "1:6: the schema generates no queries"),
]

@Test(arguments: diagnosticCases)
func reportsDiagnostic(_ testCase: DiagnosticCase) {
    let found = diagnostics(testCase.sdl).map(positioned)
    for expected in testCase.expected {
        let separator = expected.firstIndex(of: " ")!
        let position = String(expected[..<separator])
        let fragment = String(expected[expected.index(after: separator)...])
        #expect(
            found.contains { $0.hasPrefix(position + " ") && $0.contains(fragment) },
            "expected \(expected); got \(found)")
    }
    #expect(found.count == testCase.expected.count, "unexpected diagnostics: \(found)")
}

@Test func reportsEveryProblemAtOnceInSourceOrder() throws {
    let sdl = """
        type Note @model @ttl(field: "expiresAt") @foo {
          id: String!
          title: String @set
          _deleted: Boolean
          tags: [[String]]
        }
        type Note @model { id: ID! }
        """
    let found = diagnostics(sdl).map(positioned)
    #expect(
        found == [
            "1:30: @ttl field 'expiresAt' does not exist in Note",
            "1:43: unknown directive @foo",
            "2:3: Note.id must be ID!, not String!",
            "3:17: @set is allowed only on list fields; Note.title is String",
            "4:3: Note._deleted uses a reserved name: the server adds _version, _deleted and _lastChangedAt to every model",
            "5:10: nested lists are not supported (Note.tags)",
            "7:6: type Note is already declared at 1:6",
        ])
}

@Test func loadErrorDescribesOneDiagnosticPerLine() throws {
    let sdl = """
        type Note @model @foo {
          id: Int
        }
        """
    #expect(throws: SchemaLoadError.self) { try SchemaLoader.load(source: sdl, file: "app.graphql") }
    do {
        _ = try SchemaLoader.load(source: sdl, file: "app.graphql")
    } catch {
        #expect(
            error.description == """
                app.graphql:1:18: unknown directive @foo
                app.graphql:2:3: Note.id must be ID!, not Int
                """)
    }
}

@Test func syntaxErrorReportsItsPosition() {
    let found = diagnostics(
        """
        type Note @model {
          id: ID!
          title String
        }
        """)
    #expect(found.count == 1)
    #expect(found.first?.location == TideModel.SourceLocation(line: 3, column: 9))
    #expect(found.first?.message.hasPrefix("syntax error: Expected :, found Name") == true, "\(found)")
}

@Test func columnsCountCharactersNotBytes() {
    let found = diagnostics(
        """
        "Notizen für später" type Note @model @foo {
          "Überschrift" title: String @bar
        }
        """
    ).map(positioned)
    #expect(found == ["1:39: unknown directive @foo", "2:31: unknown directive @bar"])
    let syntax = diagnostics("\"Grüße\"\ntype Note @model {\n  \"Größe\" size Int\n}")
    #expect(syntax.map(\.location) == [TideModel.SourceLocation(line: 3, column: 16)], "\(syntax)")
}

@Test func unterminatedStringIsASyntaxError() {
    let found = diagnostics("type Note @model @ttl(field: \"exp) { id: ID! }")
    #expect(found.count == 1)
    #expect(found.first?.location.line == 1)
    #expect(found.first?.message.contains("Unterminated string") == true, "\(found)")
}

@Test func unreadableFileIsOneDiagnosticAtTheStart() {
    #expect {
        _ = try SchemaLoader.load(path: "/nonexistent/schema.graphql")
    } throws: { error in
        guard let error = error as? SchemaLoadError, let only = error.diagnostics.first else { return false }
        return error.diagnostics.count == 1 && only.file == "/nonexistent/schema.graphql"
            && only.location == TideModel.SourceLocation(line: 1, column: 1)
            && only.message.hasPrefix("cannot read the schema file")
    }
}

@Test func fixtureFileReportsEachProblemWithItsPath() throws {
    let file = path("Fixtures/schemas/invalid-tasks.graphql")
    do {
        _ = try SchemaLoader.load(path: file)
        Issue.record("the fixture loaded")
    } catch {
        let lines = error.description.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.hasPrefix(file + ":") }, "\(lines)")
        #expect(
            error.diagnostics.map(positioned) == [
                "6:30: @ttl field 'remindAt' must be an Int or AWSTimestamp epoch-seconds field",
                "9:35: groupsField 'team' does not name a field of Task",
                "13:47: @index sort key field 'position' does not exist in Task",
                "14:19: @encrypted is allowed only on String or [String] fields; Task.estimate is Float",
                "15:12: Task.project has the @model type Project: relations are not supported; store the id in an ID field",
                "17:3: field Task.note has field-level @auth and must be nullable, because a caller who may not read it receives null",
            ])
    }
}
