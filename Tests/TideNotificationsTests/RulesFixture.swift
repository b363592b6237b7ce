import Foundation
import TideModel
import TideNotifications
import TideSchema

/// The package root (…/Tests/TideNotificationsTests/RulesFixture.swift → …).
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Fixtures/notifications/schema.graphql: Post, and Comment with its post's owner.
let notificationSchema: AppSchema = try! SchemaLoader.load(
    path: packageRoot.appendingPathComponent("Fixtures/notifications/schema.graphql").path)

/// A scratch folder for one test's files (service-account JSON, keys, rules files).
func scratchFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("notifications-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Loads rules-file text written to `rules.yaml` in `folder`.
func loadRules(
    _ yaml: String, in folder: URL = scratchFolder(), environment: [String: String] = ["SMTP_PASSWORD": "pw", "WEBHOOK_SECRET": "s3cret", "TWILIO_TOKEN": "tok"]
) throws(RulesFileError) -> NotificationConfiguration {
    let file = folder.appendingPathComponent("rules.yaml")
    try! yaml.write(to: file, atomically: true, encoding: .utf8)
    return try NotificationConfiguration.load(path: file.path, schema: notificationSchema, environment: environment)
}

/// The diagnostics of loading `yaml`, as `LINE: message` (the file name is the scratch file's).
func problems(_ yaml: String, environment: [String: String] = ["SMTP_PASSWORD": "pw", "WEBHOOK_SECRET": "s3cret", "TWILIO_TOKEN": "tok"]) -> [String] {
    do {
        _ = try loadRules(yaml, environment: environment)
        return []
    } catch {
        return error.diagnostics.map { "\($0.line): \($0.message)" }
    }
}

/// A valid providers section (SMTP and webhook; no push).
let smtpAndWebhook = """
    providers:
      email:   { smtp: { host: 127.0.0.1, port: 2525, from: "App <noreply@example.com>", username: app, passwordEnv: SMTP_PASSWORD } }
      webhook: { secretEnv: WEBHOOK_SECRET, allow: ["https://hooks.example.com/"] }
      sms:     { twilio: { baseURL: "http://127.0.0.1:9", accountSid: AC123, authTokenEnv: TWILIO_TOKEN, from: "+15550001111" } }

    """
