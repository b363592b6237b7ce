import Foundation
import Testing
import TideModel
import TideNotifications

@Test func theArchitectureExampleLoads() throws {
    let folder = scratchFolder()
    try """
        {"type": "service_account", "project_id": "demo", "client_email": "push@demo.iam.gserviceaccount.com",
         "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----\\n", "token_uri": "http://127.0.0.1:1/token"}
        """.write(to: folder.appendingPathComponent("fcm.json"), atomically: true, encoding: .utf8)
    try "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"
        .write(to: folder.appendingPathComponent("apns.p8"), atomically: true, encoding: .utf8)
    let config = try loadRules(
        smtpAndWebhook + """
              push:
                fcm:   { serviceAccountFile: fcm.json, baseURL: "https://fcm.googleapis.com" }
                apns:  { baseURL: "https://api.push.apple.com", teamId: T1, keyId: K1, keyFile: apns.p8, topic: com.example.app, caFile: null }
            rules:
              - name: comment-on-my-post
                on: { model: Comment, operations: [create] }
                filter: { new: { content: [{ prefix: "urgent" }] } }
                recipients: { field: postOwner }
                channels: [push, email, sms, webhook]
                topic: comments
                template:
                  push:  { title: "New comment", body: "{{new.content}}" }
                  email: { subject: "New comment on your post", text: "{{new.content}}", html: "<p>{{new.content}}</p>" }
                  sms:   { body: "New comment: {{new.content}}" }
                rateCap: 10/h
                quietHours: { start: "22:00", end: 07:00 }
            """, in: folder)
    let rule = try #require(config.rules.first)
    #expect(rule.name == "comment-on-my-post" && rule.model == "Comment" && rule.operations == [.create])
    #expect(rule.recipients == .field("postOwner"))
    #expect(rule.channels == [.push, .email, .sms, .webhook])
    #expect(rule.rateCap == RateCap(count: 10, period: 3600))
    #expect(rule.quietHours == QuietHours(start: 22 * 60, end: 7 * 60))
    #expect(config.providers.fcm?.projectId == "demo" && config.providers.fcm?.tokenURI == "http://127.0.0.1:1/token")
    #expect(config.providers.apns?.topic == "com.example.app" && config.providers.apns?.caFile == nil)
    #expect(config.providers.smtp?.password?.value == "pw")
    #expect(config.webhookAllow == ["https://hooks.example.com/"])

    let event = NotificationEvent(
        operation: .create, model: "Comment", id: "c1", actor: "u2", seq: 7, time: 1,
        new: ["content": "urgent: <b>call</b> me", "postOwner": "u1"], old: nil)
    #expect(rule.applies(to: event))
    var calm = event
    calm.new?["content"] = "hello"
    #expect(!rule.applies(to: calm))
    var update = event
    update.operation = .update
    #expect(!rule.applies(to: update))
}

@Test func secretsAreNeverInline() {
    let found = problems("""
        providers:
          email: { smtp: { host: h, port: 25, from: a@example.com, username: app, password: hunter2 } }
        rules: []
        """)
    #expect(found == ["2: providers.email.smtp.password: secrets are never written in the rules file; use passwordEnv (an environment variable) or passwordFile"])
    #expect(!found.joined().contains("hunter2") || found.joined().contains("password:") == false)
}

@Test func aMissingEnvironmentVariableIsNamed() {
    #expect(problems(smtpAndWebhook + "rules: []", environment: ["WEBHOOK_SECRET": "x", "TWILIO_TOKEN": "t"])
        == ["2: providers.email.smtp.passwordEnv: the environment variable SMTP_PASSWORD is not set"])
}

@Test func secretsCanComeFromFilesRelativeToTheRulesFile() throws {
    let folder = scratchFolder()
    try "from-a-file\n".write(to: folder.appendingPathComponent("hook.secret"), atomically: true, encoding: .utf8)
    let config = try loadRules("""
        providers:
          webhook: { secretFile: hook.secret, allow: ["http://127.0.0.1:8080/"] }
        rules: []
        """, in: folder)
    #expect(config.providers.webhook?.secret.value == "from-a-file")
    #expect("\(config.providers.webhook!.secret)" == "<secret>")
}

/// Each bad rule and the one `LINE: message` it must produce.
@Test(arguments: [
    ("  - name: r\n    on: { model: Coment, operations: [create] }\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "7: rule \"r\": unknown model \"Coment\" (the schema has Post, Comment)"),
    ("  - name: r\n    on: { model: Comment, operations: [create, upsert] }\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "7: rule \"r\": unknown operation \"upsert\" (create, update, delete, expire)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    filter:\n      new:\n        contnt: [\"x\"]\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "10: rule \"r\": filter new.contnt: unknown field \"contnt\" of Comment (fields: id, postId, postOwner, content, score, place, extra, owner)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    filter:\n      new:\n        place: { town: [\"x\"] }\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "10: rule \"r\": filter new.place.town: unknown field \"town\" of Place (fields: city, country)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    filter:\n      new:\n        content: { x: [\"y\"] }\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "10: rule \"r\": filter new.content.x: Comment.content is a String!, it has no key \"x\""),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    filter:\n      author: [\"x\"]\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "9: rule \"r\": filter author: the event has no key \"author\" (it has actor, id, model, new, old, op, seq, time)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    filter:\n      new:\n        content:\n          - contains: x\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "11: rule \"r\": filter new.content[0].contains: unknown operator \"contains\" (SNS operators: anything-but, cidr, equals-ignore-case, exists, numeric, prefix, suffix)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    filter: { a: [1], b: [1], c: [1], d: [1], e: [1], f: [1] }\n    recipients: { owner: true }\n    channels: [webhook]\n",
     "8: rule \"r\": filter policy: the policy tests 6 keys; SNS allows at most 5 (nested policies count leaf keys, per `$or` branch)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { field: score }\n    channels: [webhook]\n",
     "8: rule \"r\": recipients.field: Comment.score is a Int, not user ids (ID or String)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [webhook, fax]\n",
     "9: rule \"r\": unknown channel \"fax\" (push, email, sms, webhook)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [push]\n    template: { push: { body: hi } }\n",
     "9: rule \"r\": channel push has no provider (configure providers.push)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [email]\n    template:\n      email:\n        subject: New\n        text: \"{{#new}}{{content}}\"\n",
     "13: rule \"r\": template.email.text: template syntax: a section is not closed ({{/name}} missing)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [email]\n    template:\n      email:\n        subject: New\n        html: |\n          <p>\n          {{new.content}\n          </p>\n",
     "15: rule \"r\": template.email.html: template syntax: a tag is not closed (missing }})"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [sms]\n",
     "6: rule \"r\": template is required for sms"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [webhook]\n    rateCap: 10/fortnight\n",
     "10: rule \"r\": rateCap \"10/fortnight\" is not N/unit (10/h; units s, m, h, d, w)"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [webhook]\n    quietHours: { start: \"25:00\", end: \"07:00\" }\n",
     "10: rule \"r\": quietHours.start \"25:00\" is not HH:MM"),
    ("  - name: r\n    on: { model: Comment, operations: [create] }\n    recipients: { owner: true }\n    channels: [webhook]\n    color: blue\n",
     "10: a rule: unknown key \"color\" (expected name, on, filter, recipients, channels, topic, template, rateCap, quietHours)"),
])
func eachBadRuleNamesItsLine(_ rule: String, _ expected: String) {
    #expect(problems(smtpAndWebhook + "rules:\n" + rule) == [expected])
}

@Test func malformedYAMLNamesTheLine() {
    let found = problems("rules:\n  - name: r\n    on: { model: Comment\n")
    #expect(found.count == 1)
    #expect(found.first?.hasPrefix("4: YAML:") == true || found.first?.hasPrefix("3: YAML:") == true, "\(found)")
}

@Test func duplicatedKeysAreRefused() {
    let found = problems("rules: []\nrules: []\n")
    #expect(found.count == 1 && found[0].contains("duplicated key(s) rules"), "\(found)")
}

@Test func everyProblemIsReportedInFileOrder() {
    let found = problems(smtpAndWebhook + """
        rules:
          - name: a
            on: { model: Nope, operations: [create] }
            recipients: { owner: true }
            channels: [webhook]
          - name: b
            on: { model: Comment, operations: [create] }
            recipients: { group: admins }
            channels: [carrier-pigeon]
        """)
    #expect(found.map { $0.split(separator: ":").first! } == ["7", "13"], "\(found)")
}

@Test func theErrorPrintsAsFileLineReason() throws {
    do {
        _ = try loadRules("rules:\n  - name: r\n")
        Issue.record("loaded")
    } catch {
        let line = error.description.split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasSuffix("rules.yaml:2: a rule: \"on\" is required"), "\(line)")
    }
}
