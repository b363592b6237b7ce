import Foundation
import TideModel
import Yams

/// Builds a ``NotificationConfiguration`` from YAML, collecting diagnostics in `reader`.
struct RulesFileParser {
    let directory: String
    let schema: AppSchema
    let environment: [String: String]
    var reader: YAMLReader

    init(file: String, directory: String, schema: AppSchema, environment: [String: String]) {
        self.directory = directory
        self.schema = schema
        self.environment = environment
        self.reader = YAMLReader(file: file)
    }

    mutating func parse(_ yaml: String) -> NotificationConfiguration? {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                reader.fail(line: 1, "the rules file is empty (expected providers: and rules:)")
                return nil
            }
            root = node
        } catch let error as YamlError {
            reportYAMLError(error)
            return nil
        } catch {
            reader.fail(line: 1, "not YAML: \(error)")
            return nil
        }
        guard let top = reader.mapping(root, "the rules file", allowed: ["providers", "rules"], required: ["rules"]) else {
            return nil
        }
        let providers = top["providers"].map { providerSettings($0.value) } ?? ProviderSettings()
        var rules: [NotificationRule] = []
        if let list = top["rules"]?.value {
            if let sequence = list.sequence {
                var names: Set<String> = []
                for node in sequence {
                    guard let rule = rule(node, providers: providers) else { continue }
                    if !names.insert(rule.name).inserted {
                        reader.fail(node, "rule \"\(rule.name)\": another rule has this name")
                    }
                    rules.append(rule)
                }
            } else {
                reader.fail(list, "rules must be a list of rules")
            }
        }
        return NotificationConfiguration(file: reader.file, providers: providers, rules: rules)
    }

    private mutating func reportYAMLError(_ error: YamlError) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let where_ = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            reader.fail(line: mark.line, column: mark.column, "YAML: \(problem)\(where_)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            reader.fail(
                line: context.mark.line, column: context.mark.column,
                "YAML: duplicated key(s) \(duplicates.sorted().joined(separator: ", ")) in one mapping")
        default:
            reader.fail(line: 1, "YAML: \(error)")
        }
    }

    // MARK: - Files and secrets

    /// A path from the rules file, relative paths taken from the rules file's folder.
    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: directory).appendingPathComponent(path).path
    }

    /// The text of a file named at `node`.
    mutating func readFile(_ node: Node, _ what: String) -> String? {
        guard let name = reader.string(node, what) else { return nil }
        let path = resolve(name)
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            reader.fail(node, "\(what): cannot read \(path)")
            return nil
        }
        return text
    }

    /// A secret named `name` in a provider mapping: `nameEnv` (an environment variable) or
    /// `nameFile` (a file); `name` itself (inline) is refused.
    mutating func secret(
        _ pairs: [String: (key: Node, value: Node)], _ name: String, in what: String, required: Bool
    ) -> Secret? {
        if let inline = pairs[name] {
            reader.fail(inline.key, "\(what).\(name): secrets are never written in the rules file; use \(name)Env (an environment variable) or \(name)File")
            return nil
        }
        if let variable = pairs[name + "Env"] {
            guard let key = reader.string(variable.value, "\(what).\(name)Env") else { return nil }
            guard let value = environment[key], !value.isEmpty else {
                reader.fail(variable.value, "\(what).\(name)Env: the environment variable \(key) is not set")
                return nil
            }
            return Secret(value)
        }
        if let file = pairs[name + "File"] {
            guard let text = readFile(file.value, "\(what).\(name)File") else { return nil }
            return Secret(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if required {
            reader.fail(line: pairs.values.map { $0.key.mark?.line ?? 1 }.min() ?? 1, "\(what): \(name)Env or \(name)File is required")
        }
        return nil
    }

    /// The allowed keys of a provider mapping that holds the secret `name` (inline form included,
    /// so that it is refused with its own message rather than as an unknown key).
    static func secretKeys(_ name: String) -> [String] { [name, name + "Env", name + "File"] }
}
