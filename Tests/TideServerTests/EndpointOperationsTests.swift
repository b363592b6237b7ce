import Foundation
import Testing
import TideModel
import TideNotifications
import TideTestSupport

/// The endpoint and opt-out operations (ARCHITECTURE §10.2) through `tidewater serve
/// --notifications`: each user manages only their own endpoints, addresses are checked before
/// anything is stored, and the sender honours opt-outs (counted at the receivers) and reports
/// in `/metrics`.
@Suite(.timeLimit(.minutes(3))) struct EndpointOperationsTests {
    static let schema = "Fixtures/notifications/schema.graphql"
    static let fields = "id channel address platform timeZone enabled disabledReason createdAt"
    static let register = "mutation R($input: RegisterEndpointInput!) { registerEndpoint(input: $input) { \(fields) } }"
    static let mine = "{ myEndpoints { \(fields) } }"
    static let remove = "mutation D($id: ID!) { removeEndpoint(id: $id) { id address } }"
    static let optOut = """
        mutation O($channel: NotificationChannel!, $topic: String, $optedOut: Boolean!) {
          setNotificationOptOut(channel: $channel, topic: $topic, optedOut: $optedOut)
        }
        """

    /// A rules file in a folder of its own; removed by the caller.
    static func rulesFile(_ text: String) throws -> URL {
        let folder = ServerProcess.temporaryDirectory()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("rules.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func usersRegisterListAndRemoveOnlyTheirOwnEndpoints() async throws {
        let rules = try Self.rulesFile(
            """
            providers:
              webhook: { secretEnv: WEBHOOK_SECRET, allow: ["https://hooks.example.com/"] }
            rules:
              - name: comment-on-my-post
                on: { model: Comment, operations: [create] }
                recipients: { field: postOwner }
                channels: [webhook]
                topic: comments
            """)
        defer { try? FileManager.default.removeItem(at: rules.deletingLastPathComponent()) }
        try await withServer(
            schema: Self.schema, extraArguments: ["--notifications", rules.path], environment: ["WEBHOOK_SECRET": "s3cret"]
        ) { server, alice in
            let apns = String(repeating: "0a", count: 32)
            let fcm = "dXk3:APA91b" + String(repeating: "x_y-", count: 35)
            let inputs: [JSONValue] = [
                ["channel": "EMAIL", "address": "alice@example.com", "timeZone": "Europe/Berlin"],
                ["channel": "SMS", "address": "+15550001111"],
                ["channel": "PUSH", "platform": "APNS", "address": .string(apns)],
                ["channel": "PUSH", "platform": "FCM", "address": .string(fcm)],
                ["channel": "WEBHOOK", "address": "https://hooks.example.com/alice"],
            ]
            var ids: [String] = []
            for input in inputs {
                let endpoint = try #require(try await alice.data(Self.register, variables: ["input": input])["registerEndpoint"])
                #expect(endpoint["channel"] == input["channel"])
                #expect(endpoint["address"] == input["address"])
                #expect(endpoint["platform"] == (input["platform"] ?? .null))
                #expect(endpoint["timeZone"] == (input["timeZone"] ?? .null))
                #expect(endpoint["enabled"] == true)
                #expect(endpoint["disabledReason"] == .null)
                #expect(endpoint["createdAt"]?.stringValue?.hasSuffix("Z") == true)
                ids.append(try #require(endpoint["id"]?.stringValue))
            }
            #expect(Set(ids).count == 5)
            let again = try await alice.data(Self.register, variables: ["input": inputs[0]])
            #expect(again["registerEndpoint"]?["id"] == .string(ids[0]), "the same channel and address is the same endpoint")
            #expect(try await alice.data(Self.mine)["myEndpoints"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ids)

            // Another user sees none of them and cannot remove one.
            let bobToken = try await HTTPClient().signIn(server.baseURL, username: "bob")
            let bob = GraphQLClient(server, credentials: ["Authorization": "Bearer \(bobToken)"])
            #expect(try await bob.data(Self.mine)["myEndpoints"] == [])
            #expect(try await bob.errorCode(Self.remove, variables: ["id": .string(ids[0])]) == "NOT_FOUND")
            let bobs = try await bob.data(Self.register, variables: ["input": ["channel": "EMAIL", "address": "alice@example.com"]])
            #expect(bobs["registerEndpoint"]?["id"] != .string(ids[0]), "the same address under another user is another endpoint")
            #expect(try await alice.data(Self.mine)["myEndpoints"]?.arrayValue?.count == 5)

            let removed = try await alice.data(Self.remove, variables: ["id": .string(ids[1])])
            #expect(removed["removeEndpoint"]?["address"] == "+15550001111")
            #expect(try await alice.errorCode(Self.remove, variables: ["id": .string(ids[1])]) == "NOT_FOUND")

            // Invalid input: BAD_USER_INPUT naming the field, nothing stored.
            let invalid: [(JSONValue, String)] = [
                (["channel": "EMAIL", "address": "alice@"], "input.address"),
                (["channel": "EMAIL", "address": "a b@example.com"], "input.address"),
                (["channel": "SMS", "address": "5550001111"], "input.address"),
                (["channel": "SMS", "address": "+1 555 000 1111"], "input.address"),
                (["channel": "PUSH", "platform": "APNS", "address": "abc123"], "input.address"),
                (["channel": "PUSH", "platform": "FCM", "address": "short"], "input.address"),
                (["channel": "PUSH", "address": .string(apns)], "input.platform"),
                (["channel": "EMAIL", "platform": "FCM", "address": "alice@example.com"], "input.platform"),
                (["channel": "WEBHOOK", "address": "http://169.254.169.254/latest/meta-data"], "input.address"),
                (["channel": "EMAIL", "address": "new@example.com", "timeZone": "Mars/Olympus_Mons"], "input.timeZone"),
            ]
            for (input, field) in invalid {
                let error = try await alice.post(Self.register, variables: ["input": input]).json["errors"]?.arrayValue?.first
                #expect(error?["extensions"]?["code"] == "BAD_USER_INPUT", "\(input)")
                #expect(error?["extensions"]?["field"] == .string(field), "\(input): \(error?.jsonString ?? "")")
                #expect(error?["message"]?.stringValue?.hasPrefix("Invalid \(field): ") == true, "\(error?.jsonString ?? "")")
            }
            let unknownTopic = try await alice.post(Self.optOut, variables: ["channel": "EMAIL", "topic": "news", "optedOut": true])
            #expect(unknownTopic.json["errors"]?.arrayValue?.first?["extensions"]?["field"] == "topic")
            #expect(unknownTopic.json["errors"]?.arrayValue?.first?["message"] == "Invalid topic: not a topic of the rules file (topics: comments).")

            // Without a signed-in user (no credentials, or an API key, which is no user): refused.
            let created = try await runTidewater(["apikeys", "create", "--name", "web", "--data", server.dataDirectory.path])
            #expect(created.status == 0, "\(created.stderr)")
            let apiKey = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            for credentials in [[:], ["x-api-key": apiKey]] {
                let caller = GraphQLClient(server, credentials: credentials)
                #expect(try await caller.errorCode(Self.mine) == "UNAUTHENTICATED")
                #expect(try await caller.errorCode(Self.register, variables: ["input": inputs[0]]) == "UNAUTHENTICATED")
                #expect(try await caller.errorCode(Self.remove, variables: ["id": .string(ids[0])]) == "UNAUTHENTICATED")
                #expect(try await caller.errorCode(Self.optOut, variables: ["channel": "EMAIL", "optedOut": true]) == "UNAUTHENTICATED")
            }
            let keyCaller = GraphQLClient(server, credentials: ["x-api-key": apiKey])
            #expect(try await keyCaller.errorCode("{ listPosts { items { id } } }") == "FORBIDDEN", "the key is valid; the rules give it nothing")

            let ledger = try NotificationStore(directory: server.dataDirectory.path)
            defer { ledger.close() }
            let stored = try ledger.endpoints(userId: nil)
            #expect(stored.count == 5, "alice's four and bob's one: \(stored.map(\.address))")
            #expect(Set(stored.map(\.userId)).count == 2)
            #expect(!stored.contains { $0.address.contains("169.254") || $0.address == "new@example.com" })
        }
    }

    @Test func withoutNotificationsTheOperationsAreNotInTheSchema() async throws {
        try await withServer(schema: Self.schema) { _, client in
            let reply = try await client.post(Self.mine)
            #expect(reply.json["errors"]?.arrayValue?.first?["extensions"]?["code"] == "GRAPHQL_VALIDATION_FAILED")
            #expect(
                reply.json["errors"]?.arrayValue?.first?["message"]
                    == "Cannot query field \"myEndpoints\" on type \"Query\". It is there when the server runs with notifications (tidewater serve --notifications FILE).",
                "\(reply.text)")
            let other = try await client.post("{ myEndpointz }")
            #expect(other.json["errors"]?.arrayValue?.first?["message"]?.stringValue?.contains("notifications") == false, "only their names")
        }
    }

    /// Opted out of a channel for the rule's topic, or of a whole channel: the delivery ends
    /// `dead` with the reason and the receiver gets nothing; opted in again, it is sent. The
    /// metrics count what happened.
    @Test func theSenderHonoursOptOutsAndReportsMetrics() async throws {
        let receivers = try await Receivers.start()
        do {
            try await optOutStory(receivers)
        } catch {
            await receivers.stop()
            throw error
        }
        await receivers.stop()
    }

    private func optOutStory(_ receivers: Receivers) async throws {
        let rules = try Self.rulesFile(
            """
            providers:
              email: { smtp: { host: 127.0.0.1, port: \(receivers.port("smtp")), from: "App <noreply@example.com>", username: app, passwordEnv: SMTP_PASSWORD } }
              webhook: { secretEnv: WEBHOOK_SECRET, allow: ["\(receivers.http)/hooks/"] }
            rules:
              - name: comment-on-my-post
                on: { model: Comment, operations: [create] }
                recipients: { field: postOwner }
                channels: [webhook, email]
                topic: comments
                template:
                  email: { subject: "New comment", text: "{{new.content}}" }
              - name: digest
                on: { model: Comment, operations: [create] }
                recipients: { field: postOwner }
                channels: [email]
                topic: digest
                template:
                  email: { subject: "Activity on your posts", text: "{{new.content}}" }
                rateCap: 1/d
            """)
        defer { try? FileManager.default.removeItem(at: rules.deletingLastPathComponent()) }
        let environment = ["SMTP_PASSWORD": receivers.string("smtpPassword"), "WEBHOOK_SECRET": receivers.string("webhookSecret")]
        try await withServer(schema: Self.schema, extraArguments: ["--notifications", rules.path], environment: environment) {
            server, alice in
            _ = try await alice.data(Self.register, variables: ["input": ["channel": "EMAIL", "address": "alice@example.com"]])
            _ = try await alice.data(Self.register, variables: ["input": ["channel": "WEBHOOK", "address": .string("\(receivers.http)/hooks/alice")]])
            let post = try await alice.data(#"mutation { createPost(input: {title: "Mine"}) { id owner } }"#)["createPost"]
            let bobToken = try await HTTPClient().signIn(server.baseURL, username: "bob")
            let bob = GraphQLClient(server, credentials: ["Authorization": "Bearer \(bobToken)"])
            let ledger = try NotificationStore(directory: server.dataDirectory.path)
            defer { ledger.close() }

            /// Bob comments on Alice's post; returns the rows of that comment once settled (sent,
            /// dead, or deferred by the digest's rate cap), by rule and channel.
            func comment(_ content: String) async throws -> [String: DeliveryRow] {
                let created = try await bob.post(
                    "mutation C($input: CreateCommentInput!) { createComment(input: $input) { id } }",
                    variables: ["input": ["postId": post?["id"] ?? .null, "postOwner": post?["owner"] ?? .null, "content": .string(content)]])
                let seq = try #require(created.json["extensions"]?["seq"]?.intValue, "\(created.text)")
                let deadline = ContinuousClock.now + .seconds(30)
                while true {
                    let rows = try ledger.deliveries().filter { $0.seq == seq }
                    if rows.count == 3, rows.allSatisfy({ ![.pending, .retrying].contains($0.progress.state) && !$0.progress.inFlight }) {
                        return Dictionary(uniqueKeysWithValues: rows.map { ("\($0.rule) \($0.channel.ruleName)", $0) })
                    }
                    guard ContinuousClock.now < deadline else { throw TestFailure("not settled: \(rows)") }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }

            func metric(_ name: String, _ labels: String) async throws -> Double {
                try await server.metric("tidewater_notification_\(name){\(labels)}")
            }
            #expect(try await metric("queue_depth", #"state="pending""#) == 0)
            #expect(try await metric("queue_depth", #"state="deferred""#) == 0)
            #expect(try await metric("sends_in_flight", #"channel="email""#) == 0)

            let optedOut = try await alice.post(Self.optOut, variables: ["channel": "EMAIL", "topic": "comments", "optedOut": true])
            #expect(optedOut.json["data"]?["setNotificationOptOut"] == true)
            #expect(optedOut.json["extensions"] == nil, "no record written, no feed position to wait for")
            let first = try await comment("first")
            #expect(first["comment-on-my-post webhook"]?.progress.state == .sent)
            #expect(first["comment-on-my-post email"]?.progress.state == .dead)
            #expect(first["comment-on-my-post email"]?.progress.lastError == "the user opted out of email (comments)")
            #expect(first["digest email"]?.progress.state == .sent, "opted out of comments, not of the digest")

            _ = try await alice.data(Self.optOut, variables: ["channel": "EMAIL", "topic": "comments", "optedOut": false])
            _ = try await alice.data(Self.optOut, variables: ["channel": "WEBHOOK", "optedOut": true])
            let second = try await comment("second")
            #expect(second["comment-on-my-post email"]?.progress.state == .sent)
            #expect(second["comment-on-my-post webhook"]?.progress.state == .dead)
            #expect(second["comment-on-my-post webhook"]?.progress.lastError == "the user opted out of webhook (comments)")
            #expect(second["digest email"]?.progress.state == .deferred, "the digest's rate cap holds it")

            let hooks = try await receivers.records("webhook")
            #expect(hooks.compactMap { $0["delivery"]?.stringValue } == [first["comment-on-my-post webhook"]?.id].compactMap { $0 })
            let mails = try await receivers.records("smtp").filter { $0["accepted"] == true }
            let sentMails = [first["digest email"], second["comment-on-my-post email"]].compactMap { $0.map { "<\($0.id)@example.com>" } }
            #expect(mails.compactMap { $0["messageId"]?.stringValue }.sorted() == sentMails.sorted())

            // /metrics: deliveries by channel and state, provider latency, queue depth.
            #expect(try await metric("deliveries_total", #"channel="webhook",state="sent""#) == 1)
            #expect(try await metric("deliveries_total", #"channel="webhook",state="dead""#) == 1)
            #expect(try await metric("deliveries_total", #"channel="email",state="sent""#) == 2)
            #expect(try await metric("deliveries_total", #"channel="email",state="dead""#) == 1)
            #expect(try await metric("deliveries_total", #"channel="email",state="deferred""#) == 1)
            #expect(try await metric("provider_seconds_count", #"channel="webhook""#) == 1)
            #expect(try await metric("provider_seconds_count", #"channel="email""#) == 2)
            #expect(try await metric("provider_seconds_bucket", #"channel="email",le="+Inf""#) == 2)
            #expect(try await metric("provider_seconds_sum", #"channel="email""#) > 0)
            #expect(try await metric("queue_depth", #"state="deferred""#) == 1)
            #expect(try await metric("queue_depth", #"state="pending""#) == 0)
        }
    }
}
