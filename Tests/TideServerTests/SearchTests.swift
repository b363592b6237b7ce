import Foundation
import Logging
import Synchronization
import Testing
import TideIdentity
import TideModel
import TideSchema
import TideStore
import TideTestSupport

/// `searchXs` through a real server (ARCHITECTURE §10.1): ranking, text operators, every filter
/// operator, order and paging, `total` and aggregates under owner, group and field rules,
/// deletes and TTL, refused query syntax, read-your-writes, and an index that stays exact
/// across a SIGKILL and equals a rebuild.
@Suite("Search through the server", .timeLimit(.minutes(10)))
struct SearchTests {
    /// Users on one server: alice, bob and dave write their own records and are isolated by
    /// the owner rules, carol is an admin (reads every article), dave is in team-x.
    struct Environment {
        static let schema = "Fixtures/schemas/search.graphql"
        let server: ServerProcess
        let alice: GraphQLClient
        let bob: GraphQLClient
        let carol: GraphQLClient
        let dave: GraphQLClient

        init(server: ServerProcess) async throws {
            self.server = server
            let identity = try IdentityService(
                store: IdentityStore(directory: server.dataDirectory.path), logger: Logger(label: "test"))
            defer { identity.close() }
            _ = try await identity.signUp(username: "carol", password: testPassword)
            try identity.addToGroup(username: "carol", group: "admin")
            _ = try await identity.signUp(username: "dave", password: testPassword)
            try identity.addToGroup(username: "dave", group: "team-x")
            func client(_ name: String) async throws -> GraphQLClient {
                let token = try await HTTPClient().signIn(server.baseURL, username: name)
                return GraphQLClient(server, credentials: ["Authorization": "Bearer \(token)"])
            }
            alice = try await client("alice")
            bob = try await client("bob")
            carol = try await client("carol")
            dave = try await client("dave")
        }
    }

    static func withEnvironment(extraArguments: [String] = [], _ body: (Environment) async throws -> Void) async throws {
        try await withServer(schema: Environment.schema, extraArguments: extraArguments, signIn: false) { server, _ in
            try await body(try await Environment(server: server))
        }
    }

    static let articleFields = "id title category rating score reviewNote"

    /// Creates a record; returns its id and the mutation's `extensions.seq`.
    @discardableResult
    static func create(_ client: GraphQLClient, _ input: JSONValue, model: String = "Article") async throws -> (id: String, seq: Int64) {
        let reply = try await client.post(
            "mutation C($input: Create\(model)Input!) { create\(model)(input: $input) { id } }", variables: ["input": input])
        guard let id = reply.json["data"]?["create\(model)"]?["id"]?.stringValue, let seq = reply.json["extensions"]?["seq"]?.intValue
        else { throw TestFailure("create \(model) failed: \(reply.text)") }
        return (id, seq)
    }

    /// `searchArticles` (or another model's) with the given arguments, waiting for `minSeq`.
    static func search(
        _ client: GraphQLClient, _ model: String = "Article", filter: JSONValue? = nil, sort: JSONValue? = nil, limit: Int? = nil,
        nextToken: String? = nil, from: Int? = nil, aggregates: JSONValue? = nil, minSeq: Int64? = nil,
        fields: String = articleFields
    ) async throws -> JSONValue {
        var variables: [String: JSONValue] = [:]
        if let filter { variables["filter"] = filter }
        if let sort { variables["sort"] = sort }
        if let limit { variables["limit"] = .int(Int64(limit)) }
        if let nextToken { variables["nextToken"] = .string(nextToken) }
        if let from { variables["from"] = .int(Int64(from)) }
        if let aggregates { variables["aggregates"] = aggregates }
        if let minSeq { variables["minSeq"] = .int(minSeq) }
        let query = """
            query S($filter: Searchable\(model)FilterInput, $sort: [Searchable\(model)SortInput], $limit: Int, $nextToken: String,
                    $from: Int, $aggregates: [Searchable\(model)AggregationInput], $minSeq: Int) {
              search\(model)s(filter: $filter, sort: $sort, limit: $limit, nextToken: $nextToken, from: $from,
                              aggregates: $aggregates, minSeq: $minSeq) {
                items { \(fields) } nextToken total
                aggregateItems { name result {
                  ... on SearchableAggregateScalarResult { value }
                  ... on SearchableAggregateBucketResult { buckets { key doc_count } } } }
              }
            }
            """
        let data = try await client.data(query, variables: .object(variables))
        guard let connection = data["search\(model)s"], !connection.isNull else { throw TestFailure("no connection in \(data.jsonString)") }
        return connection
    }

    static func ids(_ connection: JSONValue) -> [String] {
        connection["items"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    /// Every id of a search, walking `nextToken` with pages of `limit`.
    static func allPages(_ client: GraphQLClient, filter: JSONValue?, sort: JSONValue? = nil, limit: Int, between: () async throws -> Void = {})
        async throws -> [String]
    {
        var seen: [String] = []
        var token: String?
        for _ in 0..<1000 {
            let page = try await search(client, filter: filter, sort: sort, limit: limit, nextToken: token)
            seen += ids(page)
            guard let next = page["nextToken"]?.stringValue else { return seen }
            token = next
            try await between()
        }
        throw TestFailure("paging did not end")
    }

    static func aggregate(_ connection: JSONValue, _ name: String) -> JSONValue? {
        connection["aggregateItems"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["result"]
    }

    // MARK: - Text operators and ranking

    @Test func rankingPhrasePrefixAndDiacritics() async throws {
        try await Self.withEnvironment { env in
            let a = env.alice
            _ = try await Self.create(a, ["id": "title", "title": "Harbour café", "body": "opening hours"])
            _ = try await Self.create(
                a, ["id": "body", "title": "Groceries", "body": "remember the harbour cafe on the way home, then bread and milk and more"])
            _ = try await Self.create(a, ["id": "tags", "title": "Nothing", "tags": ["harbourview", "misc"]])
            let last = try await Self.create(a, ["id": "naive", "title": "A naïve résumé", "body": "cafe"]).seq

            let either: JSONValue = ["or": [["title": ["match": "café"]], ["body": ["match": "café"]]]]
            let ranked = try await Self.search(a, filter: either, minSeq: last)
            #expect(Self.ids(ranked).first == "title", "a title match outranks a body mention: \(Self.ids(ranked))")
            #expect(Set(Self.ids(ranked)) == ["title", "body", "naive"])
            #expect(ranked["total"] == 3)

            let plain = try await Self.search(a, filter: ["title": ["match": "cafe"]])
            #expect(Self.ids(plain) == ["title"], "cafe finds café")
            #expect(Self.ids(try await Self.search(a, filter: ["title": ["match": "naive resume"]])) == ["naive"])
            #expect(Self.ids(try await Self.search(a, filter: ["title": ["match": "NAÏVE"]])) == ["naive"], "case folds too")

            #expect(Self.ids(try await Self.search(a, filter: ["body": ["matchPhrase": "harbour café"]])) == ["body"])
            #expect(Self.ids(try await Self.search(a, filter: ["body": ["matchPhrase": "cafe harbour"]])).isEmpty, "a phrase keeps its order")
            #expect(Self.ids(try await Self.search(a, filter: ["body": ["matchPhrase": "harbour home"]])).isEmpty, "a phrase is adjacent")
            #expect(Self.ids(try await Self.search(a, filter: ["body": ["matchPhrasePrefix": "harbour ca"]])) == ["body"])
            #expect(Self.ids(try await Self.search(a, filter: ["body": ["matchPhrasePrefix": "the harb"]])) == ["body"])
            #expect(Self.ids(try await Self.search(a, filter: ["tags": ["wildcard": "harb*"]])) == ["tags"])
            let prefixTitles = try await Self.search(a, filter: ["title": ["wildcard": "gro*"]])
            #expect(Self.ids(prefixTitles) == ["body"])
            #expect(Self.ids(try await Self.search(a, filter: ["title": ["match": "harbourview"]])).isEmpty, "tags are their own field")

            // match ORs its words, ranked: both words beat one.
            let both = try await Self.search(a, filter: ["body": ["match": "bread harbour"]])
            #expect(Self.ids(both) == ["body"])
            let orWords = try await Self.search(a, filter: ["title": ["match": "groceries harbour"]])
            #expect(Set(Self.ids(orWords)) == ["title", "body"])

            // Another user's records never match.
            #expect(Self.ids(try await Self.search(env.bob, filter: either)).isEmpty)
        }
    }

    @Test func searchTextThatIsQuerySyntaxIsBadUserInputWithAReason() async throws {
        try await Self.withEnvironment { env in
            let cases: [JSONValue] = [
                ["title": ["match": "\"unbalanced"]], ["title": ["match": "AND OR"]], ["title": ["match": "*"]],
                ["title": ["matchPhrase": "a NEAR(b"]], ["title": ["wildcard": "*"]], ["title": ["wildcard": "a*b"]],
                ["category": ["match": "x"]],
            ]
            for filter in cases {
                let reply = try await env.alice.post(
                    "query S($f: SearchableArticleFilterInput) { searchArticles(filter: $f) { items { id } } }", variables: ["f": filter])
                #expect(reply.status == 200, "\(filter.jsonString): \(reply.status)")
                let error = try #require(reply.json["errors"]?.arrayValue?.first, "\(filter.jsonString): \(reply.text)")
                #expect(error["extensions"]?["code"] == "BAD_USER_INPUT", "\(filter.jsonString): \(error.jsonString)")
                let message = error["message"]?.stringValue ?? ""
                #expect(message.count > 10, "a reason: \(message)")
                for leak in ["sqlite", "fts5", "syntax error", "SQL"] {
                    #expect(!message.localizedCaseInsensitiveContains(leak), "no engine text: \(message)")
                }
            }
        }
    }

    // MARK: - Filters, order, paging

    /// alice's records for the filter and order cases; `nil` fields are left out.
    static let rows: [(id: String, category: String?, rating: Int?, score: Double?)] = [
        ("r1", "news", 1, 0.5), ("r2", "news", 5, 2.5), ("r3", "sport", 3, nil), ("r4", "sport", 5, 1.0),
        ("r5", nil, 2, 9.0), ("r6", "arts", nil, 4.0), ("r7", "news", 4, 4.0),
    ]

    @Test func everyFilterOperatorSortAndPage() async throws {
        try await Self.withEnvironment { env in
            let a = env.alice
            var seq: Int64 = 0
            for row in Self.rows {
                var input: [String: JSONValue] = ["id": .string(row.id), "title": .string("filtertoken \(row.id)")]
                if let c = row.category { input["category"] = .string(c) }
                if let r = row.rating { input["rating"] = .int(Int64(r)) }
                if let s = row.score { input["score"] = .double(s) }
                seq = try await Self.create(a, .object(input)).seq
            }
            // bob's record would match every filter below: it must never show.
            seq = try await Self.create(env.bob, ["id": "bob1", "title": "filtertoken", "category": "news", "rating": 5, "score": 1.0]).seq
            _ = try await Self.search(a, minSeq: seq)

            func matching(_ filter: JSONValue) async throws -> Set<String> {
                let page = try await Self.search(a, filter: filter, limit: 100)
                let found = Self.ids(page)
                #expect(page["total"]?.intValue == Int64(found.count), "total counts what the caller may read: \(filter.jsonString)")
                return Set(found)
            }
            func rows(_ predicate: ((id: String, category: String?, rating: Int?, score: Double?)) -> Bool) -> Set<String> {
                Set(Self.rows.filter(predicate).map(\.id))
            }
            // Strings.
            #expect(try await matching(["category": ["eq": "news"]]) == rows { $0.category == "news" })
            #expect(try await matching(["category": ["ne": "news"]]) == rows { $0.category != "news" }, "ne keeps records without the field")
            #expect(try await matching(["category": ["gt": "news"]]) == rows { ($0.category ?? "") > "news" })
            #expect(try await matching(["category": ["gte": "news"]]) == rows { $0.category.map { $0 >= "news" } ?? false })
            #expect(try await matching(["category": ["lt": "news"]]) == rows { $0.category.map { $0 < "news" } ?? false })
            #expect(try await matching(["category": ["lte": "news"]]) == rows { $0.category.map { $0 <= "news" } ?? false })
            #expect(try await matching(["category": ["range": ["b", "p"]]]) == rows { $0.category.map { $0 >= "b" && $0 <= "p" } ?? false })
            #expect(try await matching(["category": ["exists": true]]) == rows { $0.category != nil })
            #expect(try await matching(["category": ["exists": false]]) == rows { $0.category == nil })
            // Numbers, integer and float.
            #expect(try await matching(["rating": ["eq": 5]]) == rows { $0.rating == 5 })
            #expect(try await matching(["rating": ["ne": 5]]) == rows { $0.rating != 5 })
            #expect(try await matching(["rating": ["gt": 3]]) == rows { ($0.rating ?? .min) > 3 })
            #expect(try await matching(["rating": ["gte": 3]]) == rows { ($0.rating ?? .min) >= 3 })
            #expect(try await matching(["rating": ["lt": 3]]) == rows { $0.rating.map { $0 < 3 } ?? false })
            #expect(try await matching(["rating": ["lte": 3]]) == rows { $0.rating.map { $0 <= 3 } ?? false })
            #expect(try await matching(["rating": ["range": [2, 4]]]) == rows { $0.rating.map { (2...4).contains($0) } ?? false })
            #expect(try await matching(["rating": ["exists": false]]) == rows { $0.rating == nil })
            #expect(try await matching(["score": ["gt": 1.0]]) == rows { ($0.score ?? -1) > 1.0 })
            #expect(try await matching(["score": ["lte": 1.0]]) == rows { $0.score.map { $0 <= 1.0 } ?? false })
            #expect(try await matching(["score": ["range": [1.0, 4.0]]]) == rows { $0.score.map { $0 >= 1.0 && $0 <= 4.0 } ?? false })
            #expect(try await matching(["score": ["exists": true]]) == rows { $0.score != nil })
            // Connectives, with a text predicate among them.
            #expect(try await matching(["and": [["category": ["eq": "news"]], ["rating": ["gte": 4]]]]) == ["r2", "r7"])
            #expect(try await matching(["or": [["category": ["eq": "arts"]], ["rating": ["eq": 1]]]]) == ["r1", "r6"])
            #expect(try await matching(["not": ["category": ["eq": "news"]]]) == rows { $0.category != "news" })
            #expect(try await matching(["and": [["title": ["match": "filtertoken"]], ["not": ["rating": ["lt": 5]]]]]) == rows { ($0.rating ?? 0) >= 5 || $0.rating == nil })
            #expect(try await matching(["or": [["title": ["match": "r3"]], ["score": ["eq": 9.0]]]]) == ["r3", "r5"])

            // Order: NULL first ascending, then id; descending the reverse keys, then id.
            func order(_ key: (Int?) -> Int, descending: Bool) -> [String] {
                Self.rows.sorted { l, r in
                    let (kl, kr) = (key(l.rating), key(r.rating))
                    if kl != kr { return descending ? kl > kr : kl < kr }
                    return l.id < r.id
                }.map(\.id)
            }
            let byRating = { (r: Int?) in r ?? Int.min }
            let ascending = order(byRating, descending: false)
            let descending = order(byRating, descending: true)
            let all: JSONValue = ["title": ["match": "filtertoken"]]
            #expect(Self.ids(try await Self.search(a, filter: all, sort: [["field": "rating", "direction": "asc"]])) == ascending)
            #expect(Self.ids(try await Self.search(a, filter: all, sort: [["field": "rating", "direction": "desc"]])) == descending)
            for limit in [1, 2, 3] {
                let paged = try await Self.allPages(a, filter: all, sort: [["field": "rating", "direction": "desc"]], limit: limit)
                #expect(paged == descending, "pages of \(limit)")
            }
            let offset = try await Self.search(a, filter: all, sort: [["field": "rating", "direction": "asc"]], limit: 2, from: 3)
            #expect(Self.ids(offset) == Array(ascending[3..<5]))
            #expect(offset["total"] == 7)

            // Relevance: more mentions rank higher; pages walk the same order.
            let seqs = [
                try await Self.create(a, ["id": "rel1", "title": "relevance", "body": "relevance relevance relevance"]).seq,
                try await Self.create(a, ["id": "rel2", "title": "relevance"]).seq,
                try await Self.create(a, ["id": "rel3", "title": "other", "body": "a long body that mentions relevance only once among many other words"]).seq,
            ]
            let rel: JSONValue = ["or": [["title": ["match": "relevance"]], ["body": ["match": "relevance"]]]]
            let ranked = Self.ids(try await Self.search(a, filter: rel, minSeq: seqs.max()))
            #expect(ranked.first == "rel1" && ranked.last == "rel3", "\(ranked)")
            #expect(try await Self.allPages(a, filter: rel, limit: 1) == ranked)
            #expect(Self.ids(try await Self.search(a, filter: rel, limit: 1, from: 1)) == [ranked[1]])
        }
    }

    // MARK: - Authorization, aggregates, hidden fields

    @Test func totalAndAggregatesCountOnlyWhatTheCallerMayRead() async throws {
        try await Self.withEnvironment { env in
            for (i, rating) in [2, 4, 6].enumerated() {
                try await Self.create(env.alice, ["id": .string("a\(i)"), "title": "aggtoken", "category": .string(i == 0 ? "x" : "y"), "rating": .int(Int64(rating)), "reviewNote": .string("alice-secret-\(i)")])
            }
            for (i, rating) in [100, 200].enumerated() {
                try await Self.create(env.bob, ["id": .string("b\(i)"), "title": "aggtoken", "category": "z", "rating": .int(Int64(rating)), "reviewNote": "bob-secret"])
            }
            // TeamMemo: group rule on team, plus the owner.
            try await Self.create(env.alice, ["id": "m1", "title": "memo", "team": "team-x", "rating": 1], model: "TeamMemo")
            try await Self.create(env.bob, ["id": "m2", "title": "memo", "team": "team-x", "rating": 3], model: "TeamMemo")
            try await Self.create(env.bob, ["id": "m3", "title": "memo", "team": "team-y", "rating": 50], model: "TeamMemo")
            let seq = try await Self.create(env.alice, ["id": "m4", "title": "memo", "team": "team-y", "rating": 70], model: "TeamMemo").seq

            let aggregates: JSONValue = [
                ["name": "cats", "type": "terms", "field": "category"], ["name": "lo", "type": "min", "field": "rating"],
                ["name": "hi", "type": "max", "field": "rating"], ["name": "mean", "type": "avg", "field": "rating"],
                ["name": "sum", "type": "sum", "field": "rating"],
            ]
            let filter: JSONValue = ["title": ["match": "aggtoken"]]
            let mine = try await Self.search(env.alice, filter: filter, limit: 1, aggregates: aggregates, minSeq: seq)
            #expect(mine["total"] == 3, "bob's records are not counted")
            #expect(Self.ids(mine).count == 1)
            #expect(Self.aggregate(mine, "cats")?["buckets"] == [["key": "y", "doc_count": 2], ["key": "x", "doc_count": 1]])
            #expect(Self.aggregate(mine, "lo")?["value"]?.numberValue == 2)
            #expect(Self.aggregate(mine, "hi")?["value"]?.numberValue == 6)
            #expect(Self.aggregate(mine, "mean")?["value"]?.numberValue == 4)
            #expect(Self.aggregate(mine, "sum")?["value"]?.numberValue == 12)
            let bobs = try await Self.search(env.bob, filter: filter, aggregates: aggregates)
            #expect(bobs["total"] == 2)
            #expect(Set(Self.ids(bobs)) == ["b0", "b1"])
            #expect(Self.aggregate(bobs, "sum")?["value"]?.numberValue == 300)
            let admin = try await Self.search(env.carol, filter: filter, aggregates: aggregates)
            #expect(admin["total"] == 5, "the admin group reads every article")
            #expect(Self.aggregate(admin, "sum")?["value"]?.numberValue == 312)
            let none = try await Self.search(env.dave, filter: filter, aggregates: aggregates)
            #expect(none["total"] == 0 && Self.ids(none).isEmpty)
            #expect(Self.aggregate(none, "cats")?["buckets"] == [])
            #expect(Self.aggregate(none, "sum")?["value"] == nil, "no value: null result")

            // Group rules: dave reads team-x memos only; alice her own plus none of bob's.
            let memoAggregates: JSONValue = [["name": "sum", "type": "sum", "field": "rating"], ["name": "teams", "type": "terms", "field": "team"]]
            let memoFilter: JSONValue = ["title": ["match": "memo"]]
            let daves = try await Self.search(env.dave, "TeamMemo", filter: memoFilter, aggregates: memoAggregates, fields: "id")
            #expect(Set(Self.ids(daves)) == ["m1", "m2"])
            #expect(daves["total"] == 2)
            #expect(Self.aggregate(daves, "sum")?["value"]?.numberValue == 4)
            #expect(Self.aggregate(daves, "teams")?["buckets"] == [["key": "team-x", "doc_count": 2]])
            let alices = try await Self.search(env.alice, "TeamMemo", filter: memoFilter, aggregates: memoAggregates, fields: "id")
            #expect(Set(Self.ids(alices)) == ["m1", "m4"])
            #expect(Self.aggregate(alices, "sum")?["value"]?.numberValue == 71)

            // Field rules: reviewNote is the owner's alone. The admin reads the records but
            // cannot probe the hidden value through filters, sort or aggregates.
            #expect(Self.ids(try await Self.search(env.carol, filter: ["reviewNote": ["eq": "alice-secret-1"]])).isEmpty)
            #expect(Self.ids(try await Self.search(env.carol, filter: ["reviewNote": ["exists": true]])).isEmpty)
            #expect(Self.ids(try await Self.search(env.carol, filter: ["reviewNote": ["gt": "alice-secret-1"]])).isEmpty)
            #expect(Self.ids(try await Self.search(env.carol, filter: ["reviewNote": ["range": ["a", "c"]]])).isEmpty)
            #expect(Self.ids(try await Self.search(env.alice, filter: ["reviewNote": ["eq": "alice-secret-1"]])) == ["a1"], "the owner can")
            for direction in ["asc", "desc"] {
                let sorted = try await Self.search(env.carol, filter: filter, sort: [["field": "reviewNote", "direction": .string(direction)]])
                #expect(Self.ids(sorted) == ["a0", "a1", "a2", "b0", "b1"], "hidden sort keys are all NULL: id order (\(direction))")
                #expect(sorted["items"]?.arrayValue?.allSatisfy { $0["reviewNote"] == .null } == true)
            }
            let notes = try await Self.search(
                env.carol, filter: filter, aggregates: [["name": "notes", "type": "terms", "field": "reviewNote"]])
            #expect(Self.aggregate(notes, "notes")?["buckets"] == [])
            let ownNotes = try await Self.search(
                env.alice, filter: filter, aggregates: [["name": "notes", "type": "terms", "field": "reviewNote"]])
            #expect(Self.aggregate(ownNotes, "notes")?["buckets"]?.arrayValue?.count == 3)
        }
    }

    // MARK: - Deletes, TTL, read-your-writes, metrics

    @Test func deletesAndExpiryLeaveTheIndexAndMinSeqSeesWrites() async throws {
        let config = ServerProcess.temporaryDirectory().appendingPathComponent("config.json")
        try Data(#"{"maintenanceIntervalSeconds": 1}"#.utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config.deletingLastPathComponent()) }
        try await Self.withEnvironment(extraArguments: ["--config", config.path]) { env in
            let a = env.alice
            try await Self.create(a, ["id": "kept", "title": "lifetoken kept"])
            // minSeq: the very next search sees each write.
            let created = try await Self.create(a, ["id": "gone", "title": "lifetoken gone"])
            #expect(Set(Self.ids(try await Self.search(a, filter: ["title": ["match": "lifetoken"]], minSeq: created.seq))) == ["kept", "gone"])
            let deleted = try await a.post(
                "mutation { deleteArticle(input: {id: \"gone\", _version: 1}) { id } }")
            let deleteSeq = try #require(deleted.json["extensions"]?["seq"]?.intValue, "\(deleted.text)")
            #expect(deleteSeq > created.seq)
            // Far enough ahead to be searched before it expires, even on a loaded machine.
            let expiresAt = Int64(Date().timeIntervalSince1970) + 6
            let expiring = try await Self.create(a, ["id": "expiring", "title": "lifetoken expiring", "expiresAt": .int(expiresAt)])
            #expect(Set(Self.ids(try await Self.search(a, filter: ["title": ["match": "lifetoken"]], minSeq: expiring.seq))) == ["kept", "expiring"])
            let updated = try await a.post(
                "mutation { updateArticle(input: {id: \"kept\", _version: 1, title: \"renamed\"}) { id } }")
            let updateSeq = try #require(updated.json["extensions"]?["seq"]?.intValue, "\(updated.text)")
            #expect(Self.ids(try await Self.search(a, filter: ["title": ["match": "renamed"]], minSeq: updateSeq)) == ["kept"])
            #expect(Self.ids(try await Self.search(a, filter: ["title": ["match": "kept"]])).isEmpty, "the old words left with the update")

            // A feed position far ahead: SEARCH_INDEX_BEHIND after the bounded wait, not a hang.
            let behind = try await a.post("{ searchArticles(minSeq: 2000000000) { items { id } } }")
            #expect(behind.json["errors"]?.arrayValue?.first?["extensions"]?["code"] == "SEARCH_INDEX_BEHIND", "\(behind.text)")

            // Expired: invisible at once, and swept out of the index by the maintenance pass.
            try await Task.sleep(for: .seconds(max(0, Double(expiresAt) - Date().timeIntervalSince1970) + 1))
            #expect(Self.ids(try await Self.search(a, filter: ["title": ["match": "lifetoken"]])).isEmpty)
            let deadline = ContinuousClock.now + .seconds(20)
            while try Self.indexedIDs(env.server.dataDirectory, model: "Article").contains("expiring"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(try Self.indexedIDs(env.server.dataDirectory, model: "Article") == ["kept"], "deletes and TTL leave the index")

            let metrics = try await HTTPClient().send("GET", env.server.baseURL.appendingPathComponent("metrics")).text
            for name in ["tidewater_feed_consumer_position_seq", "tidewater_feed_consumer_lag_entries", "tidewater_feed_consumer_lag_seconds"] {
                #expect(metrics.contains("\(name){consumer=\"search\"}"), "\(name) in /metrics")
            }
            #expect(try await env.server.metric("tidewater_feed_consumer_lag_entries{consumer=\"search\"}") == 0)

            // A rebuild would race the running indexer: refused while the server holds the folder.
            let schemaPath = ServerProcess.packageRoot.appendingPathComponent(Environment.schema).path
            let refused = try await runTidewater(["search", "rebuild", "--data", env.server.dataDirectory.path, "--schema", schemaPath])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("is in use by a running server"), "\(refused.stderr)")
            #expect(!refused.stderr.contains("Fatal"), "one line, no trace")
        }
    }

    /// The ids in a model's index tables (read-only beside the running server).
    static func indexedIDs(_ dataDirectory: URL, model: String) throws -> [String] {
        try indexContents(dataDirectory)[model, default: []].map { $0[0] }
    }

    /// Every indexed record per model: id, version and the indexed text of each field.
    static func indexContents(_ dataDirectory: URL) throws -> [String: [[String]]] {
        let schema = try SchemaLoader.load(path: ServerProcess.packageRoot.appendingPathComponent(Environment.schema).path)
        let layouts = schema.models.filter { $0.searchableFields != nil }.map(SearchIndexLayout.init(model:))
        let file = try SearchIndexFile(directory: dataDirectory.path, layouts: layouts)
        var contents: [String: [[String]]] = [:]
        for layout in layouts {
            contents[layout.model] = try file.transaction { batch throws(StoreError) in try batch.contents(model: layout.model) }
        }
        return contents
    }

    // MARK: - Paging while writes continue

    @Test func pagesHaveNoGapsOrDuplicatesWhileWritesContinue() async throws {
        try await Self.withEnvironment { env in
            let a = env.alice
            var seq: Int64 = 0
            for i in 0..<60 {
                // Varying mentions and lengths spread the BM25 scores.
                let body = Array(repeating: "pagetoken", count: 1 + i % 4).joined(separator: " ") + String(repeating: " filler", count: i % 7)
                seq = try await Self.create(a, ["id": .string(String(format: "p%02d", i)), "title": .string("page \(i)"), "body": .string(body), "rating": .int(Int64(i % 9))]).seq
            }
            _ = try await Self.search(a, minSeq: seq)
            let original = Set((0..<60).map { String(format: "p%02d", $0) })
            let filter: JSONValue = ["body": ["match": "pagetoken"]]

            // Between pages: new matching records (some ranking above everything) and updates
            // of records created meanwhile, so ranks and field order move under the pager.
            let counter = Atomic<Int>(0)
            let writes: () async throws -> Void = {
                for _ in 0..<3 {
                    let n = counter.add(1, ordering: .relaxed).newValue
                    let id = "new\(n)"
                    let strong = Array(repeating: "pagetoken", count: 8).joined(separator: " ")
                    try await Self.create(a, ["id": .string(id), "title": "x", "body": .string(strong), "rating": .int(Int64(n % 9))])
                    _ = try await a.data(
                        "mutation U($input: UpdateArticleInput!) { updateArticle(input: $input) { id } }",
                        variables: ["input": ["id": .string(id), "_version": 1, "rating": .int(Int64((n * 5) % 9)), "body": "pagetoken pagetoken"]])
                }
                _ = try await Self.search(a, minSeq: try await env.server.feedHead())
            }
            for sort in [nil, [["field": "rating", "direction": "desc"]] as JSONValue] {
                let seen = try await Self.allPages(a, filter: filter, sort: sort, limit: 7, between: writes)
                let label = sort == nil ? "relevance" : "rating desc"
                #expect(Set(seen).count == seen.count, "\(label): no duplicates: \(seen)")
                #expect(original.isSubset(of: Set(seen)), "\(label): no gaps: missing \(original.subtracting(seen).sorted())")
            }
        }
    }

    // MARK: - Crash safety and rebuild

    /// Many writes, SIGKILL while the indexer is catching up, restart: the index catches up
    /// and equals a `tidewater search rebuild` of a copy of the data folder.
    @Test func indexKilledMidBatchResumesExactAndEqualsARebuild() async throws {
        let data = ServerProcess.temporaryDirectory()
        let copy = ServerProcess.temporaryDirectory()
        defer {
            try? FileManager.default.removeItem(at: data)
            try? FileManager.default.removeItem(at: copy)
        }
        let first = try await ServerProcess(schema: Environment.schema, dataDirectory: data, signIn: true)
        let client = GraphQLClient(first)
        let load = CrashLoad()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for i in 0..<10_000 {
                        let text = "crash \(worker) \(i) " + String(repeating: "word\(i % 13) ", count: 1 + i % 5)
                        let reply = try? await client.post(
                            "mutation C($input: CreateArticleInput!) { createArticle(input: $input) { id } }",
                            variables: ["input": ["id": .string("w\(worker)-\(i)"), "title": .string(text), "body": "crashtoken", "rating": .int(Int64(i))]])
                        guard reply?.json["data"]?["createArticle"]?["id"]?.stringValue != nil else { return }  // the server is gone
                        if i % 10 == 3 {
                            _ = try? await client.post(
                                "mutation U($input: UpdateArticleInput!) { updateArticle(input: $input) { id } }",
                                variables: ["input": ["id": .string("w\(worker)-\(i)"), "_version": 1, "body": "updated crashtoken"]])
                        }
                        if i % 10 == 7 {
                            _ = try? await client.post("mutation { deleteArticle(input: {id: \"w\(worker)-\(i)\", _version: 1}) { id } }")
                        }
                        load.written.add(1, ordering: .relaxed)
                    }
                }
            }
            group.addTask {
                // Kill once enough is written and the indexer is behind the feed (or after 30 s).
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                    guard load.written.load(ordering: .relaxed) >= 600 else { continue }
                    let lag = try? await first.metric("tidewater_feed_consumer_lag_entries{consumer=\"search\"}")
                    if let lag, lag > 0 {
                        load.lagAtKill.store(Int(lag), ordering: .relaxed)
                        break
                    }
                }
                await first.crash()
            }
            try await group.waitForAll()
        }
        #expect(load.written.load(ordering: .relaxed) >= 600)
        print("search index lag at SIGKILL: \(load.lagAtKill.load(ordering: .relaxed)) entries")

        let second = try await ServerProcess(schema: Environment.schema, dataDirectory: data, signIn: false)
        let head = try await second.feedHead()
        let deadline = ContinuousClock.now + .seconds(60)
        while try await second.metric("tidewater_feed_consumer_position_seq{consumer=\"search\"}") < Double(head), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try await second.metric("tidewater_feed_consumer_position_seq{consumer=\"search\"}") >= Double(head), "the index caught up")
        #expect(await second.stop() == 0)

        let live = try Self.indexContents(data)
        #expect((live["Article"]?.count ?? 0) >= 500)
        try FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: data, to: copy)
        let schemaPath = ServerProcess.packageRoot.appendingPathComponent(Environment.schema).path
        let rebuild = try await runTidewater(["search", "rebuild", "--data", copy.path, "--schema", schemaPath])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        let rebuilt = try Self.indexContents(copy)
        #expect(live == rebuilt, "the index after the crash equals a rebuild")
        for (model, rows) in live where rows != rebuilt[model] {
            let difference = Set(rows.map { $0.joined(separator: "|") }).symmetricDifference(rebuilt[model, default: []].map { $0.joined(separator: "|") })
            print("\(model): \(difference.count) rows differ, e.g. \(difference.sorted().prefix(5))")
        }

        // A rebuild of the live folder itself, per model, equals the index it replaced.
        let perModel = try await runTidewater(["search", "rebuild", "--model", "Article", "--data", data.path, "--schema", schemaPath])
        #expect(perModel.status == 0, "\(perModel.stderr)")
        #expect(try Self.indexContents(data) == live)
    }
}

/// What the crash test's writers share with the task that kills the server.
private final class CrashLoad: Sendable {
    /// Writes acknowledged so far.
    let written = Atomic<Int>(0)
    /// The indexer's lag in feed entries when the server was killed (0: not seen behind).
    let lagAtKill = Atomic<Int>(0)
}
