import Foundation
import TideModel
import Yams

/// A checked rules file (`tidewater serve --notifications FILE`): the providers and the rules.
///
/// Loading checks everything a running server would otherwise find out later: the YAML, every
/// key and value, models and fields against the schema, filter policies (SNS operators and
/// limits), templates, providers for every channel used, and secrets (read from the
/// environment or from files, never written inline). Problems are reported together as
/// `FILE:LINE: reason`.
///
/// ```swift
/// let config = try NotificationConfiguration.load(path: "notifications.yaml", schema: appSchema)
/// for rule in config.rules where rule.applies(to: event) { … }
/// ```
public struct NotificationConfiguration: Sendable {
    /// The rules file's path as given.
    public var file: String
    public var providers: ProviderSettings
    public var rules: [NotificationRule]

    /// URL prefixes a webhook endpoint must start with (`providers.webhook.allow`).
    public var webhookAllow: [String] { providers.webhook?.allow ?? [] }

    /// Reads and checks a rules file; relative paths in it are relative to its folder.
    public static func load(
        path: String, schema: AppSchema, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(RulesFileError) -> NotificationConfiguration {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw RulesFileError(diagnostics: [
                RulesDiagnostic(file: path, line: 1, column: 1, message: "cannot read the rules file")
            ])
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try parse(yaml: text, file: path, directory: directory, schema: schema, environment: environment)
    }

    /// Checks rules-file text; `directory` anchors relative paths.
    public static func parse(
        yaml: String, file: String, directory: String, schema: AppSchema, environment: [String: String]
    ) throws(RulesFileError) -> NotificationConfiguration {
        var parser = RulesFileParser(file: file, directory: directory, schema: schema, environment: environment)
        let configuration = parser.parse(yaml)
        let diagnostics = parser.reader.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
        guard diagnostics.isEmpty, let configuration else {
            throw RulesFileError(diagnostics: diagnostics)
        }
        return configuration
    }
}
