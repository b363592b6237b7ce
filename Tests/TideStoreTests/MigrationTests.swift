import Foundation
import TideModel
import TideStore
import Testing

@Suite("Migrations", .timeLimit(.minutes(5)))
struct MigrationTests {
    static func schema(noteFields: [Field], noteIndexes: [Index] = [], extraModels: [ModelType] = []) -> AppSchema {
        let note = ModelType(name: "Note", pluralName: "Notes", fields: noteFields, indexes: noteIndexes)
        return AppSchema(models: [note] + extraModels, enums: [TestSchema.priority], embeddedTypes: [TestSchema.address])
    }

    static let v1Fields: [Field] = [
        Field(name: "id", type: TestSchema.scalar(.id, required: true)),
        Field(name: "title", type: TestSchema.scalar(.string, required: true)),
        Field(name: "rank", type: TestSchema.scalar(.int)),
        Field(name: "owner", type: TestSchema.scalar(.string)),
        Field(name: "legacy", type: TestSchema.scalar(.string)),
    ]

    @Test func addsFieldsModelsAndIndexesWithoutLosingData() async throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try openStore(directory, schema: Self.schema(noteFields: Self.v1Fields))
            _ = try await store.create(
                model: "Note", id: "n1", values: ["title": "kept", "rank": 2, "owner": "u", "legacy": "old"], condition: nil, actor: "a")
            store.close()
        }

        // v2: `legacy` removed, `tags` added, an index on owner, a new model.
        let v2Fields = Self.v1Fields.filter { $0.name != "legacy" } + [
            Field(name: "tags", type: FieldType(base: .scalar(.string), isList: true))
        ]
        let tag = ModelType(name: "Tag", pluralName: "Tags", fields: [Field(name: "id", type: TestSchema.scalar(.id, required: true)), Field(name: "label", type: TestSchema.scalar(.string))])
        let v2 = Self.schema(
            noteFields: v2Fields, noteIndexes: [Index(name: "byOwner", field: "owner", sortKeyFields: ["rank"])], extraModels: [tag])
        do {
            let store = try openStore(directory, schema: v2)
            let kept = try #require(try store.get(model: "Note", id: "n1"))
            #expect(kept.fields["title"] == "kept")
            #expect(kept.fields["tags"] == nil)
            #expect(kept.fields["legacy"] == nil)  // no longer a field…
            let updated = try await store.update(
                model: "Note", id: "n1", expectedVersion: 1, values: ["tags": ["a"]], condition: nil, actor: "a")
            #expect(updated.fields["tags"] == ["a"])
            _ = try await store.create(model: "Tag", id: "t1", values: ["label": "x"], condition: nil, actor: "a")
            let plan = try store.explainQueryPlan(model: "Note", query: ListQuery(index: IndexQuery(indexName: "byOwner", hashValue: "u")))
            #expect(plan.contains { $0.contains("USING INDEX ix_Note_byOwner") })
            store.close()
        }

        // …and re-adding it with its old type brings the data back (the column was kept).
        let store = try openStore(directory, schema: Self.schema(noteFields: v2Fields + [Self.v1Fields[4]], extraModels: [tag]))
        defer { store.close() }
        let record = try #require(try store.get(model: "Note", id: "n1"))
        #expect(record.fields["legacy"] == "old")
        #expect(record.fields["tags"] == ["a"])
        #expect(record.version == 2)
        #expect(try store.get(model: "Tag", id: "t1") != nil)
        // The index left the schema, so the plan no longer uses it.
        let plan = try store.explainQueryPlan(model: "Note", query: ListQuery(filter: .field("owner", .eq("u"))))
        #expect(!plan.contains { $0.contains("ix_Note_byOwner") })
    }

    @Test func incompatibleTypeChangesAreRefusedNamingTheField() async throws {
        let directory = try TemporaryDirectory()
        do {
            let store = try openStore(directory, schema: Self.schema(noteFields: Self.v1Fields))
            _ = try await store.create(model: "Note", id: "n1", values: ["title": "kept", "rank": 2], condition: nil, actor: "a")
            store.close()
        }
        var changed = Self.v1Fields
        changed[2] = Field(name: "rank", type: TestSchema.scalar(.string))  // Int → String
        changed[3] = Field(name: "owner", type: FieldType(base: .scalar(.string), isList: true))  // String → [String]
        changed.append(Field(name: "extra", type: TestSchema.scalar(.int)))
        do {
            _ = try openStore(directory, schema: Self.schema(noteFields: changed))
            Issue.record("incompatible schema accepted")
        } catch let error as StoreError {
            guard case .incompatibleSchema(let problems) = error else { throw error }
            #expect(problems.count == 2)
            #expect(problems.contains { $0.hasPrefix("Note.rank:") && $0.contains("Int") && $0.contains("String") })
            #expect(problems.contains { $0.hasPrefix("Note.owner:") && $0.contains("[String]") })
        }
        // Nothing was touched: the old schema still opens and `extra` was not added.
        let store = try openStore(directory, schema: Self.schema(noteFields: Self.v1Fields))
        defer { store.close() }
        #expect(try store.get(model: "Note", id: "n1")?.fields["rank"] == 2)
        // Nullability changes are fine.
        store.close()
        var relaxed = Self.v1Fields
        relaxed[1] = Field(name: "title", type: TestSchema.scalar(.string))
        let reopened = try openStore(directory, schema: Self.schema(noteFields: relaxed))
        reopened.close()
    }

    @Test func reservedFieldNamesAreRefused() throws {
        let directory = try TemporaryDirectory()
        let fields = Self.v1Fields + [Field(name: "_version", type: TestSchema.scalar(.int))]
        #expect(throws: StoreError.self) { try openStore(directory, schema: Self.schema(noteFields: fields)) }
    }
}
