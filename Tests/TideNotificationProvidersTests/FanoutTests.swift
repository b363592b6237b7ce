import Foundation
import Logging
import ServiceLifecycle
import Testing
import TideFeed
import TideModel
import TideNotifications
import TideSchema
import TideStore
import TideTestSupport

@testable import TideNotificationProviders

private let schema: AppSchema = try! SchemaLoader.load(
    path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/notifications/schema.graphql").path)

private var quiet: Logger {
    var logger = Logger(label: "tidewater.notifications.tests")
    logger.logLevel = .warning
    return logger
}

/// No groups in these tests' rules.
private struct NoGroups: RecipientDirectory {
    func members(ofGroup group: String) async throws -> [String] { [] }
}

/// The store, the notification store, the fan-out and the sender of one test, on a temporary folder.
private struct Pipeline {
    let folder: URL
    let store: Store
    let notifications: NotificationStore
    let config: NotificationConfiguration
    let providers: ProviderSet

    init(_ receivers: Receivers, rules: String) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fanout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try Store(schema: schema, configuration: StoreConfiguration(directory: folder.path), logger: quiet)
        notifications = try NotificationStore(directory: folder.path, logger: quiet)
        let yaml = """
            providers:
              email: { smtp: { host: 127.0.0.1, port: \(receivers.port("smtp")), from: "App <noreply@example.com>", username: app, passwordEnv: SMTP_PASSWORD } }
              webhook: { secretEnv: WEBHOOK_SECRET, allow: ["\(receivers.http)/hooks/"] }
            rules:
            \(rules)
            """
        let file = folder.appendingPathComponent("rules.yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        config = try NotificationConfiguration.load(
            path: file.path, schema: schema,
            environment: ["SMTP_PASSWORD": receivers.string("smtpPassword"), "WEBHOOK_SECRET": receivers.string("webhookSecret")])
        providers = try ProviderSet(config.providers)
    }

    /// Runs the fan-out and a sender while `body` runs, then stops them gracefully.
    func running(_ body: () async throws -> Void) async throws {
        let sender = NotificationSender(
            store: notifications, rules: config.rules, providers: providers, directory: NoGroups(),
            machine: DeliveryStateMachine(baseBackoff: 50, maxBackoff: 400), logger: quiet)
        let fanout = NotificationFanout(
            rules: config.rules, store: notifications, directory: NoGroups(), logger: quiet, onEnqueue: { sender.wake() })
        let runner = FeedConsumerRunner(consumer: fanout, store: store, logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [.init(service: runner), .init(service: sender)], logger: quiet))
        let task = Task { try await group.run() }
        do {
            try await runner.waitUntilStarted()
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await task.value
    }

    func close() async {
        await providers.shutdown()
        notifications.close()
        store.close()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Waits (bounded) until the fan-out has read the whole feed and no delivery is open any more.
    func settled(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let counts = try notifications.countsByState()
            let fannedOut = try notifications.fanoutPosition() ?? 0 >= store.feedHead
            if fannedOut, counts.isEmpty == false, counts.keys.allSatisfy({ !$0.isOpen }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("deliveries still open: \(try notifications.countsByState())")
    }

    func comment(_ content: String, for owner: String) async throws {
        _ = try await store.create(
            model: "Comment", id: nil, values: ["postId": "p1", "postOwner": .string(owner), "content": .string(content)],
            condition: nil, actor: "commenter")
    }
}

extension FeedConsumerRunner {
    /// Waits until the runner has read its start position.
    func waitUntilStarted() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while position == nil {
            guard ContinuousClock.now < deadline else { throw TestFailure("the feed consumer did not start") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

private let commentRule = """
      - name: comment-on-my-post
        on: { model: Comment, operations: [create] }
        filter: { new: { content: [{ prefix: "urgent" }] } }
        recipients: { field: postOwner }
        channels: [email, webhook]
        topic: comments
        template:
          email: { subject: "New comment", text: "{{new.content}}", html: "<p>{{new.content}}</p>" }
    """

extension ProviderTests {
    @Test func changesFanOutToEveryEndpointOnceThroughTransientFailures() async throws {
        try await withReceivers { receivers in
            let pipeline = try Pipeline(receivers, rules: commentRule)
            defer { Task { await pipeline.close() } }
            let now: Int64 = 1
            let hook = try pipeline.notifications.registerEndpoint(
                userId: "u1", channel: .webhook, address: receivers.http + "/hooks/u1", platform: nil, timeZone: nil, now: now)
            _ = try pipeline.notifications.registerEndpoint(
                userId: "u1", channel: .email, address: "u1@example.com", platform: nil, timeZone: "Europe/Berlin", now: now)
            _ = try pipeline.notifications.registerEndpoint(
                userId: "u2", channel: .email, address: "u2@example.com", platform: nil, timeZone: nil, now: now)
            try pipeline.notifications.setOptOut(userId: "u2", channel: .email, topic: "comments", optedOut: true)
            // Two webhook attempts fail transiently; one email is refused for a while.
            try await receivers.script("webhook", [["status": 503], ["status": 429, "headers": ["retry-after": "0"]]])
            try await receivers.script("smtp-data", [["code": 451, "text": "4.3.0 later"]])

            try await pipeline.running {
                for i in 0..<5 { try await pipeline.comment("urgent \(i)", for: "u1") }
                try await pipeline.comment("not urgent", for: "u1")
                try await pipeline.comment("urgent but opted out", for: "u2")
                try await pipeline.settled()
            }

            let rows = try pipeline.notifications.deliveries()
            // 5 matching comments × 2 endpoints of u1, and u2's row given up (opted out).
            #expect(rows.filter { $0.progress.state == .sent }.count == 10)
            #expect(rows.filter { $0.progress.state == .dead }.map(\.progress.lastError) == ["the user opted out of email (comments)"])
            let hooks = try await receivers.records("webhook")
            let accepted = hooks.count - 2
            #expect(accepted == 5 && hooks.map(problems).allSatisfy(\.isEmpty))
            let ids = hooks.compactMap { $0["delivery"]?.stringValue }
            #expect(Set(ids).count == 5, "each webhook delivery has its own id; retries repeat it")
            let mails = try await receivers.records("smtp")
            #expect(mails.count == 6 && Set(mails.compactMap { $0["messageId"]?.stringValue }).count == 5)
            #expect(Set(mails.compactMap { $0["subject"]?.stringValue }) == ["New comment"])
            #expect(rows.filter { $0.endpointId == hook.id }.allSatisfy { $0.progress.state == .sent })
        }
    }

    @Test func anInterruptedAttemptIsResentOnlyWhereTheReceiverDedupes() async throws {
        try await withReceivers { receivers in
            let pipeline = try Pipeline(receivers, rules: commentRule)
            defer { Task { await pipeline.close() } }
            let hook = try pipeline.notifications.registerEndpoint(
                userId: "u1", channel: .webhook, address: receivers.http + "/hooks/u1", platform: nil, timeZone: nil, now: 1)
            let mail = try pipeline.notifications.registerEndpoint(
                userId: "u1", channel: .email, address: "u1@example.com", platform: nil, timeZone: nil, now: 1)
            // As a server killed mid-attempt leaves them: both rows in flight.
            let event = NotificationEvent(operation: .create, model: "Comment", id: "c1", actor: "a", seq: 1, time: 1, new: ["content": "urgent"], old: nil)
            let machine = DeliveryStateMachine()
            let rows = [hook, mail].map {
                DeliveryRow(
                    id: "row-\($0.channel.ruleName)", seq: 1, rule: "comment-on-my-post", endpointId: $0.id, userId: "u1",
                    channel: $0.channel, progress: machine.begin(DeliveryProgress()), createdAt: 1, updatedAt: 1)
            }
            try pipeline.notifications.enqueue(rows, events: [1: event.json.jsonString])

            try await pipeline.running {
                try await pipeline.settled()
            }
            #expect(try pipeline.notifications.delivery(id: "row-webhook")?.progress.state == .sent)
            let email = try #require(try pipeline.notifications.delivery(id: "row-email"))
            #expect(email.progress.state == .unknown && email.progress.lastError?.contains("stopped") == true)
            #expect(try await receivers.records("webhook").compactMap { $0["delivery"]?.stringValue } == ["row-webhook"])
            #expect(try await receivers.records("smtp").isEmpty)
        }
    }
}
