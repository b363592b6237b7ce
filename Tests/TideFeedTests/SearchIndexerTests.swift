import Foundation
import TideFeed
import TideModel
import TideSchema
import TideStore
import Testing

private let schema = """
    type Note @model @auth(rules: [{ allow: public }]) @searchable(fields: ["title", "body", "tags"]) {
      id: ID!
      title: String
      body: String
      tags: [String]
      priority: Int
    }
    """

@Suite("Search index", .timeLimit(.minutes(3)))
struct SearchIndexerTests {
    func search(_ store: Store, _ indexer: SearchIndexer, _ filter: SearchFilter, sort: [SearchSort] = []) throws -> [String] {
        try store.search(model: "Note", query: SearchQuery(filter: filter, sort: sort, limit: 100), indexPath: indexer.path).records.map(\.id)
    }

    func words(_ text: String) throws -> [String] { try SearchText.words(text, operator: "match") }

    @Test func followsTheFeedRanksAndMatchesWithoutDiacritics() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory, schema: schema)
        defer { store.close() }
        let indexer = try SearchIndexer(store: store, schema: try SchemaLoader.load(source: schema), directory: directory.path, logger: quietLogger)
        let runner = FeedConsumerRunner(consumer: indexer, store: store, logger: quietLogger)
        try await whileRunning(runner) {
            _ = try await store.create(model: "Note", id: "body", values: ["title": "Groceries", "body": "remember the harbour café on the way home, then more words to make it long"], condition: nil, actor: "t")
            _ = try await store.create(model: "Note", id: "title", values: ["title": "Harbour cafe", "body": "opening hours"], condition: nil, actor: "t")
            _ = try await store.create(model: "Note", id: "other", values: ["title": "Nothing", "tags": ["harbour-view"]], condition: nil, actor: "t")
            #expect(await runner.waitUntilApplied(store.feedHead, timeout: .seconds(20)))

            let anyField: SearchFilter = .or([
                .text(field: "title", .anyWord(try words("café"))), .text(field: "body", .anyWord(try words("café"))),
            ])
            #expect(try search(store, indexer, anyField) == ["title", "body"], "a title match ranks above a body mention; café finds cafe")
            #expect(try search(store, indexer, .text(field: "body", .phrase(try words("harbour café")))) == ["body"])
            #expect(try search(store, indexer, .text(field: "body", .phrase(try words("café harbour")))).isEmpty, "phrase order")
            #expect(try search(store, indexer, .text(field: "body", .phrasePrefix(try words("harbour ca")))) == ["body"])
            #expect(try search(store, indexer, .text(field: "tags", .prefix("harb"))) == ["other"])

            _ = try await store.delete(model: "Note", id: "title", expectedVersion: 1, condition: nil, actor: "t")
            _ = try await store.update(model: "Note", id: "body", expectedVersion: 1, values: ["body": "nothing to see"], condition: nil, actor: "t")
            #expect(await runner.waitUntilApplied(store.feedHead, timeout: .seconds(20)))
            #expect(try search(store, indexer, anyField).isEmpty, "deletes and updates leave the index")
        }
        let live = try indexer.file.transaction { batch throws(StoreError) in try batch.contents(model: "Note") }
        try await indexer.rebuild()
        let rebuilt = try indexer.file.transaction { batch throws(StoreError) in try batch.contents(model: "Note") }
        #expect(live == rebuilt)
        #expect(live.count == 2)
    }

    @Test func aFieldAddedToSearchableFieldsIsIndexedAtTheNextStart() async throws {
        let directory = try TemporaryDirectory()
        let before = schema.replacingOccurrences(of: #"fields: ["title", "body", "tags"]"#, with: #"fields: ["title"]"#)
        let store = try openStore(directory, schema: before)
        let indexer = try SearchIndexer(store: store, schema: try SchemaLoader.load(source: before), directory: directory.path, logger: quietLogger)
        let runner = FeedConsumerRunner(consumer: indexer, store: store, logger: quietLogger)
        try await whileRunning(runner) {
            _ = try await store.create(model: "Note", id: "inBody", values: ["title": "Groceries", "body": "the harbour market"], condition: nil, actor: "t")
            _ = try await store.create(model: "Note", id: "inTitle", values: ["title": "Harbour walk"], condition: nil, actor: "t")
            #expect(await runner.waitUntilApplied(store.feedHead, timeout: .seconds(20)))
            #expect(try search(store, indexer, .text(field: "title", .anyWord(try words("harbour")))) == ["inTitle"])
        }
        store.close()

        let reopened = try openStore(directory, schema: schema)
        defer { reopened.close() }
        let widened = try SearchIndexer(store: reopened, schema: try SchemaLoader.load(source: schema), directory: directory.path, logger: quietLogger)
        #expect(widened.file.changedModels == ["Note"])
        let restarted = FeedConsumerRunner(consumer: widened, store: reopened, logger: quietLogger)
        try await whileRunning(restarted) {
            #expect(await restarted.waitUntilApplied(reopened.feedHead, timeout: .seconds(20)))
            #expect(try search(reopened, widened, .text(field: "body", .anyWord(try words("harbour")))) == ["inBody"], "the body was indexed at start")
            _ = try await reopened.create(model: "Note", id: "later", values: ["body": "harbour lights"], condition: nil, actor: "t")
            #expect(await restarted.waitUntilApplied(reopened.feedHead, timeout: .seconds(20)))
            #expect(Set(try search(reopened, widened, .text(field: "body", .anyWord(try words("harbour"))))) == ["inBody", "later"])
        }
        let live = try widened.file.transaction { batch throws(StoreError) in try batch.contents(model: "Note") }
        try await widened.rebuild()
        #expect(live == (try widened.file.transaction { batch throws(StoreError) in try batch.contents(model: "Note") }), "equals a rebuild")
    }

    @Test func searchTextThatIsQuerySyntaxIsRefusedWithAReason() throws {
        for text in ["\"unbalanced", "AND OR", "*", "NEAR(a b)", "title:x", "a OR b", "foo*", "!!!"] {
            #expect(throws: SearchText.Refusal.self, "\(text)") { try SearchText.words(text, operator: "match") }
        }
        #expect(try SearchText.words("Crème brûlée, please", operator: "match") == ["Crème", "brûlée,", "please"])
        #expect(throws: SearchText.Refusal.self) { try SearchText.prefix("*") }
        #expect(throws: SearchText.Refusal.self) { try SearchText.prefix("a*c") }
        #expect(try SearchText.prefix("abc*") == "abc")
    }
}
