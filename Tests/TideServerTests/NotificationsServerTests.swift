import Foundation
import Testing
import TideModel
import TideNotifications
import TideTestSupport

/// `tidewater serve --notifications FILE` as a process: a bad file stops the start, and a
/// fan-out interrupted by SIGKILL ends, after a restart, with every delivery settled exactly
/// once (docs/NOTIFICATIONS.md).
@Suite(.timeLimit(.minutes(5))) struct NotificationsServerTests {
    static let schema = "Fixtures/notifications/schema.graphql"

    @Test func aBadRulesFileStopsTheStartWithFileAndLine() async throws {
        let folder = ServerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rules = folder.appendingPathComponent("rules.yaml")
        try """
            rules:
              - name: r
                on: { model: Comment, operations: [create] }
                filter: { new: { contents: ["x"] } }
                recipients: { field: postOwner }
                channels: [webhook]
            """.write(to: rules, atomically: true, encoding: .utf8)
        let result = try await runTidewater([
            "serve", "--schema", ServerProcess.packageRoot.appendingPathComponent(Self.schema).path,
            "--data", folder.appendingPathComponent("data").path, "--port", "0", "--notifications", rules.path,
        ])
        #expect(result.status == 1)
        #expect(!result.stdout.contains("serving"), "nothing listens")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("\(rules.path):4: rule \"r\": filter new.contents: unknown field \"contents\" of Comment (fields: id, postId, postOwner, content, score, place, extra, owner)"), "\(lines)")
        #expect(lines.contains("\(rules.path):6: rule \"r\": channel webhook has no provider (configure providers.webhook)"), "\(lines)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/tidewater.sqlite").path), "nothing half-applied")
    }

    /// 1,000 endpoints (500 users with a webhook and an email each), receivers failing
    /// transiently and one hanging, the server killed with SIGKILL mid-fan-out and restarted.
    ///
    /// It loads both cores for half a minute, enough to fail other suites' timing-sensitive
    /// tests beside it: `make test` runs it alone after the suite (TIDEWATER_ACCEPTANCE=1).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TIDEWATER_ACCEPTANCE"] == "1", "run alone by make test"))
    func aFanOutKilledMidwayEndsWithEveryDeliverySettledOnce() async throws {
        let receivers = try await Receivers.start()
        let data = ServerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let users = (0..<500).map { "u\($0)" }
        do {
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            let ledger = try NotificationStore(directory: data.path)
            defer { ledger.close() }
            for user in users {
                _ = try ledger.registerEndpoint(
                    userId: user, channel: .webhook, address: "\(receivers.http)/hooks/\(user)", platform: nil, timeZone: nil, now: 1)
                _ = try ledger.registerEndpoint(
                    userId: user, channel: .email, address: "\(user)@example.com", platform: nil, timeZone: nil, now: 1)
            }
        }
        let rules = data.appendingPathComponent("rules.yaml")
        try """
            providers:
              email: { smtp: { host: 127.0.0.1, port: \(receivers.port("smtp")), from: "App <noreply@example.com>", username: app, passwordEnv: SMTP_PASSWORD } }
              webhook: { secretEnv: WEBHOOK_SECRET, allow: ["\(receivers.http)/hooks/"] }
            rules:
              - name: announcement
                on: { model: Post, operations: [create] }
                recipients: { users: [\(users.joined(separator: ", "))] }
                channels: [webhook, email]
                template:
                  email: { subject: "{{new.title}}", text: "{{new.title}}" }
            """.write(to: rules, atomically: true, encoding: .utf8)
        try await receivers.script("webhook", [["status": 503], ["status": 500], ["status": 429, "headers": ["retry-after": "1"]], ["hang": true, "seconds": 30]])
        try await receivers.script("smtp-data", [["code": 451, "text": "4.3.0 later"], ["code": 421, "text": "4.4.2 busy"]])
        let arguments = ServerProcess.unlimited + ["--notifications", rules.path]
        let environment = ["SMTP_PASSWORD": receivers.string("smtpPassword"), "WEBHOOK_SECRET": receivers.string("webhookSecret")]

        let first = try await ServerProcess(schema: Self.schema, dataDirectory: data, extraArguments: arguments, environment: environment)
        _ = try await GraphQLClient(first).data(#"mutation { createPost(input: {title: "Hello"}) { id } }"#)
        let deadline = ContinuousClock.now + .seconds(120)
        while try await receivers.records().count < 100, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        await first.crash()
        let atKill = try await receivers.records().count

        let second = try await ServerProcess(
            schema: Self.schema, dataDirectory: data, extraArguments: arguments, environment: environment, signIn: false)
        let ledger = try NotificationStore(directory: data.path)
        defer { ledger.close() }
        let settled = ContinuousClock.now + .seconds(180)
        var counts = try ledger.countsByState()
        while counts.values.reduce(0, +) < 1_000 || counts.keys.contains(where: \.isOpen) {
            guard ContinuousClock.now < settled else { throw TestFailure("not settled: \(counts)") }
            try await Task.sleep(for: .milliseconds(100))
            counts = try ledger.countsByState()
        }
        _ = await second.stop()
        let records = try await receivers.records()
        await receivers.stop()

        let rows = try ledger.deliveries()
        #expect(rows.count == 1_000)
        #expect(atKill < records.count, "the kill fell in the middle of the fan-out")
        #expect(rows.allSatisfy { [.sent, .dead, .unknown].contains($0.progress.state) })
        #expect(rows.filter { $0.progress.state == .dead }.allSatisfy { $0.progress.lastError != nil })
        let refused = records.filter { !receiverProblems($0).isEmpty }
        #expect(refused.isEmpty, "the receivers found problems: \(refused.prefix(3).map(\.jsonString))")

        // Webhooks: every sent row arrived, under its own delivery id; nothing else arrived.
        let hookRows = rows.filter { $0.channel == .webhook }
        let hookIds = Set(records.filter { $0["kind"] == "webhook" }.compactMap { $0["delivery"]?.stringValue })
        #expect(hookRows.allSatisfy { $0.progress.state == .sent }, "webhooks are re-sent after a stop, never unknown")
        #expect(hookIds == Set(hookRows.map(\.id)))
        // Email: no message accepted twice; every sent one accepted; an unknown one at most once.
        let mailRows = rows.filter { $0.channel == .email }
        let messageIds = records.filter { $0["kind"] == "smtp" && $0["accepted"] == true }.compactMap { $0["messageId"]?.stringValue }
        let accepted = Set(messageIds)
        func messageId(_ row: DeliveryRow) -> String { "<\(row.id)@example.com>" }
        #expect(messageIds.count == accepted.count, "no email accepted twice")
        #expect(mailRows.filter { $0.progress.state == .sent }.allSatisfy { accepted.contains(messageId($0)) })
        #expect(Set(messageIds).isSubset(of: Set(mailRows.map(messageId))))
        #expect(mailRows.filter { $0.progress.state == .sent }.allSatisfy { $0.progress.providerMessageId == messageId($0) })
        // What the kill interrupted is reported as unknown, not resent.
        #expect(rows.filter { $0.progress.state == .unknown }.allSatisfy { $0.channel == .email && $0.progress.lastError != nil })
    }
}

/// The problems a receiver found with a request.
private func receiverProblems(_ record: JSONValue) -> [String] {
    record["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
}
