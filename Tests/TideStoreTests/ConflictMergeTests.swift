import Foundation
import TideModel
import TideStore
import Testing

/// AUTOMERGE in the writer: a stale update is merged into the stored record inside its own
/// write transaction (ARCHITECTURE §4).
@Suite("Conflict merging", .timeLimit(.minutes(5)))
struct ConflictMergeTests {
    static let item = EmbeddedType(
        name: "Item",
        fields: [Field(name: "text", type: TestSchema.scalar(.string)), Field(name: "done", type: TestSchema.scalar(.boolean))])
    static let task = ModelType(
        name: "Task", pluralName: "Tasks",
        fields: [
            Field(name: "id", type: TestSchema.scalar(.id, required: true)),
            Field(name: "title", type: TestSchema.scalar(.string, required: true)),
            Field(name: "priority", type: TestSchema.scalar(.int)),
            Field(name: "labels", type: FieldType(base: .scalar(.string), isList: true), isSet: true),
            Field(name: "checklist", type: FieldType(base: .embedded("Item"), isList: true)),
            Field(name: "owner", type: TestSchema.scalar(.string)),
        ])
    static let schema = AppSchema(models: [task], embeddedTypes: [item])

    static func merging(_ version: Int64, condition: FilterExpression? = nil, authorization: FilterExpression? = nil) -> WriteGuards {
        WriteGuards(expectedVersion: version, condition: condition, authorization: authorization, conflictStrategy: .automerge)
    }

    @Test func staleUpdateMergesOnceWithOneFeedEntry() async throws {
        try await withStore(schema: Self.schema) { store in
            _ = try await store.create(
                model: "Task", id: "t", values: ["title": "draft", "labels": ["a"], "checklist": [["text": "one", "done": false]]],
                condition: nil, actor: "u1")
            let fresh = try await store.update(
                model: "Task", id: "t", values: ["title": "final", "labels": ["a", "b"]], guards: Self.merging(1), actor: "u1")
            #expect(!fresh.merged, "a current version is a plain write")
            #expect(fresh.record.version == 2)
            let headBefore = store.feedHead

            let stale = try await store.update(
                model: "Task", id: "t",
                values: ["title": "offline title", "priority": 3, "labels": ["c", "a"], "checklist": [["text": "two", "done": true]]],
                guards: Self.merging(1), actor: "u2")
            #expect(stale.merged)
            #expect(stale.dropped == ["title"])
            #expect(stale.record.version == 3)
            #expect(stale.record.fields["title"] == "final")
            #expect(stale.record.fields["priority"] == 3)
            #expect(stale.record.fields["labels"] == ["a", "b", "c"])
            #expect(stale.record.fields["checklist"] == [["text": "one", "done": false], ["text": "two", "done": true]])
            #expect(try store.get(model: "Task", id: "t") == stale.record)

            let entries = try store.feed(after: headBefore, limit: 10)
            #expect(entries.count == 1)
            #expect(entries.first?.operation == .modify)
            #expect(entries.first?.version == 3)
            #expect(entries.first?.oldImage?["title"] == "final")
            #expect(entries.first?.newImage?["labels"] == ["a", "b", "c"])
        }
    }

    @Test func concurrentStaleUpdatesAllLand() async throws {
        try await withStore(schema: Self.schema) { store in
            _ = try await store.create(model: "Task", id: "t", values: ["title": "shared", "labels": []], condition: nil, actor: "u")
            let writers = 24
            // Every writer last saw version 1: all but the first to commit are stale and merge.
            let outcomes = try await withThrowingTaskGroup(of: UpdateOutcome.self) { group in
                for i in 0..<writers {
                    group.addTask {
                        try await store.update(
                            model: "Task", id: "t", values: ["labels": [.string("l\(i)"), "common"], "title": .string("t\(i)")],
                            guards: Self.merging(1), actor: "u\(i)")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter(\.merged).count == writers - 1)
            #expect(Set(outcomes.map(\.record.version)) == Set((2...Int64(writers + 1)).map { $0 }))

            let final = try #require(try store.get(model: "Task", id: "t"))
            #expect(final.version == Int64(writers + 1))
            let labels = try #require(final.fields["labels"]?.arrayValue)
            #expect(labels.count == writers + 1, "every writer's label, and 'common' once")
            #expect(Set(labels) == Set((0..<writers).map { JSONValue.string("l\($0)") } + ["common"]))
            // The first committed title stands; every later one was dropped and said so.
            #expect(outcomes.filter { $0.dropped == ["title"] }.count == writers - 1)
            #expect(store.feedHead == Int64(writers + 1))
        }
    }

    @Test func optimisticConcurrencyStillRejects() async throws {
        try await withStore(schema: Self.schema) { store in
            _ = try await store.create(model: "Task", id: "t", values: ["title": "v1", "labels": ["a"]], condition: nil, actor: "u")
            let v2 = try await store.update(model: "Task", id: "t", values: ["title": "v2"], guards: Self.merging(1), actor: "u")
            do throws(StoreError) {
                _ = try await store.update(
                    model: "Task", id: "t", values: ["labels": ["b"]],
                    guards: WriteGuards(expectedVersion: 1, conflictStrategy: .optimisticConcurrency), actor: "u")
                Issue.record("stale version accepted")
            } catch {
                guard case .versionConflict(let current) = error else { throw error }
                #expect(current == v2.record)
            }
            #expect(try store.get(model: "Task", id: "t") == v2.record)
            #expect(store.feedHead == 2)
        }
    }

    @Test func staleDeleteIsRejectedEvenUnderAutomerge() async throws {
        try await withStore(schema: Self.schema) { store in
            _ = try await store.create(model: "Task", id: "t", values: ["title": "v1"], condition: nil, actor: "u")
            _ = try await store.update(model: "Task", id: "t", values: ["title": "v2"], guards: Self.merging(1), actor: "u")
            do throws(StoreError) {
                _ = try await store.delete(model: "Task", id: "t", guards: Self.merging(1), actor: "u")
                Issue.record("stale delete accepted")
            } catch {
                guard case .versionConflict(let current) = error else { throw error }
                #expect(current.version == 2)
            }
            #expect(try store.get(model: "Task", id: "t")?.version == 2)
        }
    }

    @Test func authorizationAndConditionHoldOnTheStoredRecordBeforeMerging() async throws {
        try await withStore(schema: Self.schema) { store in
            _ = try await store.create(model: "Task", id: "t", values: ["title": "v1", "owner": "alice"], condition: nil, actor: "u")
            _ = try await store.update(model: "Task", id: "t", values: ["priority": 1], guards: Self.merging(1), actor: "u")
            let notBob = FilterExpression.field("owner", .eq("bob"))
            do throws(StoreError) {
                _ = try await store.update(
                    model: "Task", id: "t", values: ["labels": ["x"]], guards: Self.merging(1, authorization: notBob), actor: "bob")
                Issue.record("unauthorized merge accepted")
            } catch {
                guard case .forbidden = error else { throw error }
            }
            do throws(StoreError) {
                _ = try await store.update(
                    model: "Task", id: "t", values: ["labels": ["x"]],
                    guards: Self.merging(1, condition: .field("priority", .gt(5))), actor: "u")
                Issue.record("merge accepted although the condition failed")
            } catch {
                guard case .conditionFailed(let current) = error else { throw error }
                #expect(current?.version == 2)
            }
            #expect(try store.get(model: "Task", id: "t")?.fields["labels"] == nil)
            #expect(store.feedHead == 2)
        }
    }
}
