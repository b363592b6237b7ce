import Foundation
import TideModel
import TideStore
import Testing

@Suite("Record writes", .timeLimit(.minutes(5)))
struct RecordWriteTests {
    @Test func idsAreCheckedForLengthAndControlCharacters() async throws {
        try await withStore { store in
            @Sendable func accepts(_ id: String) async -> Bool {
                (try? await store.create(model: "Note", id: id, values: ["title": "t"], condition: nil, actor: "u1")) != nil
            }
            // Control characters are Unicode's category Cc, ASCII's and the C1 range alike. The
            // creates run side by side, so that they share commits (one fsync each would take
            // minutes on a slow disk).
            let accepted = await withTaskGroup(of: (Unicode.Scalar, Bool).self) { group in
                for scalar in (0...0x2FF).compactMap(Unicode.Scalar.init) {
                    group.addTask { (scalar, await accepts("id-\(scalar.value)-\(Character(scalar))")) }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            for (scalar, wasAccepted) in accepted.sorted(by: { $0.key.value < $1.key.value }) {
                let isControl = scalar.properties.generalCategory == .control
                #expect(wasAccepted == !isControl, "U+\(String(scalar.value, radix: 16))")
            }
            #expect(accepted.count == 0x300)
            #expect(await accepts(String(repeating: "é", count: 128)), "128 characters, 256 bytes")
            #expect(!(await accepts(String(repeating: "é", count: 129))))
            #expect(!(await accepts(String(repeating: "x", count: 129))))
            #expect(!(await accepts("")))
        }
    }

    @Test func createGetUpdateDeleteRoundTrip() async throws {
        try await withStore { store in
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            let created = try await store.create(
                model: "Note", id: "n1",
                values: [
                    "title": "Hello", "body": "first", "rank": 3, "score": 2, "done": true, "tags": ["a", "b"],
                    "level": "HIGH", "address": ["city": "Oslo", "zip": "0150"], "owner": "u1",
                ],
                condition: nil, actor: "u1")
            #expect(created.id == "n1")
            #expect(created.version == 1)
            #expect(!created.deleted)
            #expect(created.lastChangedAt >= before)
            #expect(created.createdAt == created.updatedAt)
            #expect(created.createdAt.count == 24 && created.createdAt.hasSuffix("Z"))
            #expect(created.fields["score"] == .double(2))  // Float given as an integer is stored as a float
            #expect(created.fields["done"] == .bool(true))
            #expect(created.fields["tags"] == ["a", "b"])
            #expect(created.fields["address"] == ["city": "Oslo", "zip": "0150"])
            #expect(created.fields["expiresAt"] == nil)

            let fetched = try #require(try store.get(model: "Note", id: "n1"))
            #expect(fetched == created)

            try await Task.sleep(for: .milliseconds(3))
            let updated = try await store.update(
                model: "Note", id: "n1", expectedVersion: 1, values: ["title": "Hello again", "body": .null, "rank": 4],
                condition: .field("rank", .eq(3)), actor: "u2")
            #expect(updated.version == 2)
            #expect(updated.fields["title"] == "Hello again")
            #expect(updated.fields["body"] == nil)  // null clears
            #expect(updated.fields["tags"] == ["a", "b"])  // absent keys untouched
            #expect(updated.createdAt == created.createdAt)
            #expect(updated.updatedAt > created.updatedAt)
            #expect(updated.lastChangedAt > created.lastChangedAt)
            #expect(try store.get(model: "Note", id: "n1") == updated)

            let tombstone = try await store.delete(model: "Note", id: "n1", expectedVersion: 2, condition: nil, actor: "u1")
            #expect(tombstone.deleted)
            #expect(tombstone.version == 3)
            #expect(tombstone.fields["title"] == "Hello again")
            #expect(try store.get(model: "Note", id: "n1") == nil)
            #expect(try store.get(model: "Note", id: "n1", includeDeleted: true) == tombstone)
            #expect(try store.list(model: "Note", query: ListQuery()).records.isEmpty)
            var withDeleted = ListQuery()
            withDeleted.includeDeleted = true
            #expect(try store.list(model: "Note", query: withDeleted).records.map(\.id) == ["n1"])

            // Writes to a tombstone are not found.
            await #expect(throws: StoreError.self) {
                try await store.update(model: "Note", id: "n1", expectedVersion: nil, values: ["rank": 1], condition: nil, actor: "u1")
            }
            do throws(StoreError) {
                _ = try await store.delete(model: "Note", id: "n1", expectedVersion: nil, condition: nil, actor: "u1")
                Issue.record("deleting a tombstone succeeded")
            } catch {
                guard case .notFound(let model, let id) = error else { throw error }
                #expect(model == "Note" && id == "n1")
            }
        }
    }

    @Test func generatedIDsAreLowercasedUUIDs() async throws {
        try await withStore { store in
            let record = try await store.create(model: "Comment", id: nil, values: ["postId": "p"], condition: nil, actor: "a")
            #expect(record.id == record.id.lowercased())
            #expect(UUID(uuidString: record.id)?.uuidString.lowercased() == record.id)
            #expect(Array(record.id)[14] == "4", "a random (version 4) UUID")
            #expect("89ab".contains(Array(record.id)[19]), "the RFC 9562 variant")
            let other = try await store.create(model: "Comment", id: nil, values: ["postId": "p"], condition: nil, actor: "a")
            #expect(other.id != record.id)
        }
    }

    @Test func idCollisionsIncludingTombstones() async throws {
        try await withStore { store in
            _ = try await store.create(model: "Comment", id: "c1", values: ["postId": "p"], condition: nil, actor: "a")
            do throws(StoreError) {
                _ = try await store.create(model: "Comment", id: "c1", values: ["postId": "q"], condition: nil, actor: "a")
                Issue.record("duplicate id accepted")
            } catch {
                guard case .alreadyExists(let model, let id) = error else { throw error }
                #expect(model == "Comment" && id == "c1")
            }
            // A taken id answers before a failing condition does.
            do throws(StoreError) {
                _ = try await store.create(
                    model: "Comment", id: "c1", values: ["postId": "q"], condition: .field("votes", .eq(1)), actor: "a")
                Issue.record("duplicate id accepted")
            } catch {
                guard case .alreadyExists = error else { throw error }
            }
            _ = try await store.delete(model: "Comment", id: "c1", expectedVersion: nil, condition: nil, actor: "a")
            do throws(StoreError) {
                _ = try await store.create(model: "Comment", id: "c1", values: ["postId": "q"], condition: nil, actor: "a")
                Issue.record("id of a tombstone reused")
            } catch {
                guard case .alreadyExists = error else { throw error }
            }
            #expect(store.feedHead == 2, "refused creates leave no feed entries")
            // The same id in another model is fine.
            _ = try await store.create(model: "Note", id: "c1", values: ["title": "t"], condition: nil, actor: "a")
        }
    }

    @Test func versionConflictReturnsTheCurrentRecord() async throws {
        try await withStore { store in
            _ = try await store.create(model: "Note", id: "n", values: ["title": "v1"], condition: nil, actor: "a")
            let v2 = try await store.update(model: "Note", id: "n", expectedVersion: 1, values: ["title": "v2"], condition: nil, actor: "a")
            for attempt in [Int64(1), 3] {
                do throws(StoreError) {
                    _ = try await store.update(
                        model: "Note", id: "n", expectedVersion: attempt, values: ["title": "lost"], condition: nil, actor: "b")
                    Issue.record("stale version accepted")
                } catch {
                    guard case .versionConflict(let current) = error else { throw error }
                    #expect(current == v2)
                }
            }
            do throws(StoreError) {
                _ = try await store.delete(model: "Note", id: "n", expectedVersion: 1, condition: nil, actor: "b")
                Issue.record("stale delete accepted")
            } catch {
                guard case .versionConflict(let current) = error else { throw error }
                #expect(current.version == 2)
            }
            #expect(try store.get(model: "Note", id: "n") == v2)
            #expect(store.feedHead == 2)
        }
    }

    @Test func failedConditionsApplyNothing() async throws {
        try await withStore { store in
            let created = try await store.create(
                model: "Note", id: "n", values: ["title": "t", "rank": 1, "tags": ["x"]], condition: nil, actor: "a")
            let headBefore = store.feedHead
            let conditions: [FilterExpression] = [
                .field("rank", .gt(1)),
                .field("tags", .contains("y")),
                .and([.field("title", .eq("t")), .field("done", .eq(true))]),
                .field("_version", .ne(1)),
            ]
            for condition in conditions {
                do throws(StoreError) {
                    _ = try await store.update(
                        model: "Note", id: "n", expectedVersion: nil, values: ["title": "changed"], condition: condition, actor: "a")
                    Issue.record("update applied despite \(condition)")
                } catch {
                    guard case .conditionFailed(let current) = error else { throw error }
                    #expect(current == created)
                }
                do throws(StoreError) {
                    _ = try await store.delete(model: "Note", id: "n", expectedVersion: nil, condition: condition, actor: "a")
                    Issue.record("delete applied despite \(condition)")
                } catch {
                    guard case .conditionFailed = error else { throw error }
                }
            }
            #expect(try store.get(model: "Note", id: "n") == created)
            #expect(store.feedHead == headBefore)

            // A create's condition sees no record.
            do throws(StoreError) {
                _ = try await store.create(
                    model: "Note", id: "m", values: ["title": "t"], condition: .field("title", .attributeExists(true)), actor: "a")
                Issue.record("create applied despite its condition")
            } catch {
                guard case .conditionFailed(let current) = error else { throw error }
                #expect(current == nil)
            }
            _ = try await store.create(
                model: "Note", id: "m", values: ["title": "t"], condition: .field("title", .attributeExists(false)), actor: "a")

            // Conditions that hold.
            let updated = try await store.update(
                model: "Note", id: "n", expectedVersion: 1, values: ["rank": 2],
                condition: .and([.field("rank", .eq(1)), .field("tags", .contains("x"))]), actor: "a")
            #expect(updated.fields["rank"] == 2)
        }
    }

    @Test func invalidInputIsRejectedBeforeWriting() async throws {
        try await withStore { store in
            func expectInvalid(
                _ field: String, _ values: [String: JSONValue], id: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation
            ) async {
                do throws(StoreError) {
                    _ = try await store.create(model: "Note", id: id, values: values, condition: nil, actor: "a")
                    Issue.record("accepted \(values)", sourceLocation: sourceLocation)
                } catch {
                    guard case .invalidValue(let name, _) = error else {
                        Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
                        return
                    }
                    #expect(name == field, sourceLocation: sourceLocation)
                }
            }
            await expectInvalid("rank", ["title": "t", "rank": "3"])
            await expectInvalid("rank", ["title": "t", "rank": 1.5])
            await expectInvalid("done", ["title": "t", "done": 1])
            await expectInvalid("tags", ["title": "t", "tags": "a"])
            await expectInvalid("tags", ["title": "t", "tags": ["a", 1]])
            await expectInvalid("level", ["title": "t", "level": "URGENT"])
            await expectInvalid("address", ["title": "t", "address": "Oslo"])
            await expectInvalid("title", ["title": .null])
            await expectInvalid("title", ["body": "no title"])
            await expectInvalid("nope", ["title": "t", "nope": 1])
            await expectInvalid("_version", ["title": "t", "_version": 7])
            await expectInvalid("id", ["title": "t"], id: "")
            await expectInvalid("id", ["title": "t"], id: "a\nb")
            await expectInvalid("id", ["title": "t"], id: String(repeating: "x", count: 129))
            #expect(store.feedHead == 0)

            await #expect(throws: StoreError.self) {
                try await store.create(model: "Nope", id: nil, values: [:], condition: nil, actor: "a")
            }
            #expect(throws: StoreError.self) { try store.get(model: "Nope", id: "x") }
            #expect(throws: StoreError.self) {
                try store.list(model: "Note", query: ListQuery(filter: .field("secret", .eq(1))))
            }
        }
    }

    @Test func closedStoreRefusesCalls() async throws {
        let directory = try TemporaryDirectory()
        let store = try openStore(directory)
        _ = try await store.create(model: "Comment", id: "c", values: ["postId": "p"], condition: nil, actor: "a")
        store.close()
        store.close()  // idempotent
        #expect(throws: StoreError.self) { try store.get(model: "Comment", id: "c") }
        await #expect(throws: StoreError.self) {
            try await store.create(model: "Comment", id: "d", values: ["postId": "p"], condition: nil, actor: "a")
        }
    }
}
