import Foundation
import TideFilterPolicy
import TideModel
import Yams

extension RulesFileParser {
    mutating func rule(_ node: Node, providers: ProviderSettings) -> NotificationRule? {
        guard let pairs = reader.mapping(
            node, "a rule",
            allowed: ["name", "on", "filter", "recipients", "channels", "topic", "template", "rateCap", "quietHours"],
            required: ["name", "on", "recipients", "channels"])
        else { return nil }
        guard let name = pairs["name"].flatMap({ reader.string($0.value, "name") }) else { return nil }
        let what = "rule \"\(name)\""
        let before = reader.diagnostics.count

        var model: ModelType?
        var operations: Set<EventOperation> = []
        if let on = pairs["on"], let inner = reader.mapping(on.value, "\(what): on", allowed: ["model", "operations"], required: ["model", "operations"]) {
            if let modelNode = inner["model"]?.value, let modelName = reader.string(modelNode, "\(what): on.model") {
                model = schema.model(named: modelName)
                if model == nil {
                    let known = schema.models.map(\.name).joined(separator: ", ")
                    reader.fail(modelNode, "\(what): unknown model \"\(modelName)\" (the schema has \(known))")
                }
            }
            if let list = inner["operations"]?.value, let names = reader.strings(list, "\(what): on.operations") {
                for (index, op) in names.enumerated() {
                    guard let operation = EventOperation(rawValue: op) else {
                        reader.fail(reader.node(at: [.index(index)], in: list), "\(what): unknown operation \"\(op)\" (create, update, delete, expire)")
                        continue
                    }
                    operations.insert(operation)
                }
                if names.isEmpty { reader.fail(list, "\(what): on.operations lists none") }
            }
        }

        let policy = pairs["filter"].flatMap { filterPolicy($0.value, model: model, what: what) }
        let whom = pairs["recipients"].flatMap { recipients($0.value, model: model, what: what) }
        let used = pairs["channels"].map { channels($0.value, providers: providers, what: what) } ?? []
        let topic = pairs["topic"].flatMap { reader.string($0.value, "\(what): topic") }
        let texts = templates(pairs["template"]?.value, channels: used, ruleNode: node, what: what)

        var rateCap: RateCap?
        if let capNode = pairs["rateCap"]?.value, let text = reader.string(capNode, "\(what): rateCap") {
            rateCap = RateCap(text)
            if rateCap == nil { reader.fail(capNode, "\(what): rateCap \"\(text)\" is not N/unit (10/h; units s, m, h, d, w)") }
        }
        let quiet = pairs["quietHours"].flatMap { quietHours($0.value, what: what) }

        guard reader.diagnostics.count == before, let model, let whom, let texts else { return nil }
        return NotificationRule(
            name: name, model: model.name, operations: operations, filter: policy, recipients: whom,
            channels: used, topic: topic, templates: texts, rateCap: rateCap, quietHours: quiet,
            line: node.mark?.line ?? 1)
    }

    // MARK: - Filter

    private mutating func filterPolicy(_ node: Node, model: ModelType?, what: String) -> FilterPolicy? {
        let policy: FilterPolicy
        do {
            policy = try FilterPolicy(reader.json(node))
        } catch {
            reader.fail(reader.node(at: error.location, in: node), "\(what): filter \(error.locationText): \(error.reason)")
            return nil
        }
        for path in policy.keyPaths {
            if let problem = keyProblem(path.keys, model: model) {
                reader.fail(reader.node(at: path.location, in: node), "\(what): filter \(path.keys.joined(separator: ".")): \(problem)")
            }
        }
        return policy
    }

    /// Why a filter's key path names nothing in the event, or nil when it does.
    private func keyProblem(_ keys: [String], model: ModelType?) -> String? {
        let top = keys[0]
        guard NotificationEvent.topLevelKeys.contains(top) else {
            return "the event has no key \"\(top)\" (it has \(NotificationEvent.topLevelKeys.sorted().joined(separator: ", ")))"
        }
        guard top == "new" || top == "old" else {
            return keys.count > 1 ? "\"\(top)\" is a single value, it has no keys below it" : nil
        }
        guard keys.count > 1, let model else { return keys.count > 1 ? nil : "test a field of \(top) (\(top).field)" }
        return fieldProblem(keys.dropFirst(), fields: model.fields, meta: Self.metaFields(model), owner: model.name)
    }

    private func fieldProblem(_ keys: ArraySlice<String>, fields: [Field], meta: Set<String>, owner: String) -> String? {
        let name = keys.first!
        if meta.contains(name) {
            return keys.count > 1 ? "\(owner).\(name) is a single value" : nil
        }
        guard let field = fields.first(where: { $0.name == name }) else {
            return "unknown field \"\(name)\" of \(owner) (fields: \(fields.map(\.name).joined(separator: ", ")))"
        }
        guard keys.count > 1 else { return nil }
        switch field.type.base {
        case .embedded(let typeName):
            guard let type = schema.embeddedType(named: typeName) else { return nil }
            return fieldProblem(keys.dropFirst(), fields: type.fields, meta: [], owner: typeName)
        case .scalar(.awsJSON):
            return nil
        default:
            return "\(owner).\(name) is a \(field.type), it has no key \"\(keys.dropFirst().first!)\""
        }
    }

    private static func metaFields(_ model: ModelType) -> Set<String> {
        var names: Set<String> = [Record.MetaField.id, Record.MetaField.version, Record.MetaField.deleted, Record.MetaField.lastChangedAt]
        if let created = model.createdAtField { names.insert(created) }
        if let updated = model.updatedAtField { names.insert(updated) }
        return names
    }

    // MARK: - Recipients and channels

    private mutating func recipients(_ node: Node, model: ModelType?, what: String) -> Recipients? {
        guard let pairs = reader.mapping(node, "\(what): recipients", allowed: ["field", "owner", "group", "users"]) else {
            return nil
        }
        guard pairs.count == 1, let (kind, entry) = pairs.first else {
            reader.fail(node, "\(what): recipients takes exactly one of field, owner, group, users")
            return nil
        }
        switch kind {
        case "field":
            guard let name = reader.string(entry.value, "\(what): recipients.field") else { return nil }
            guard let model else { return nil }
            guard let field = model.field(named: name) else {
                reader.fail(entry.value, "\(what): recipients.field: unknown field \"\(name)\" of \(model.name)")
                return nil
            }
            guard case .scalar(let scalar) = field.type.base, scalar == .id || scalar == .string else {
                reader.fail(entry.value, "\(what): recipients.field: \(model.name).\(name) is a \(field.type), not user ids (ID or String)")
                return nil
            }
            return .field(name)
        case "owner":
            guard reader.bool(entry.value, "\(what): recipients.owner") == true else {
                reader.fail(entry.value, "\(what): recipients.owner must be true")
                return nil
            }
            guard let model else { return nil }
            guard let ownerField = model.authRules.first(where: { $0.allow == .owner }).map({ $0.ownerField ?? "owner" }) else {
                reader.fail(entry.value, "\(what): recipients.owner: \(model.name) has no owner rule (@auth allow: owner)")
                return nil
            }
            return .owner(field: ownerField)
        case "group":
            return reader.string(entry.value, "\(what): recipients.group").map(Recipients.group)
        default:
            guard let users = reader.strings(entry.value, "\(what): recipients.users") else { return nil }
            guard !users.isEmpty else {
                reader.fail(entry.value, "\(what): recipients.users lists nobody")
                return nil
            }
            return .users(users)
        }
    }

    private mutating func channels(_ node: Node, providers: ProviderSettings, what: String) -> [NotificationChannel] {
        guard let names = reader.strings(node, "\(what): channels") else { return [] }
        if names.isEmpty { reader.fail(node, "\(what): channels lists none") }
        var channels: [NotificationChannel] = []
        for (index, name) in names.enumerated() {
            let element = reader.node(at: [.index(index)], in: node)
            guard let channel = NotificationChannel.allCases.first(where: { $0.ruleName == name }) else {
                reader.fail(element, "\(what): unknown channel \"\(name)\" (push, email, sms, webhook)")
                continue
            }
            let configured =
                switch channel {
                case .push: providers.fcm != nil || providers.apns != nil
                case .email: providers.smtp != nil
                case .sms: providers.twilio != nil
                case .webhook: providers.webhook != nil
                }
            if !configured {
                reader.fail(element, "\(what): channel \(name) has no provider (configure providers.\(channel == .sms ? "sms" : channel.ruleName))")
            }
            if !channels.contains(channel) { channels.append(channel) }
        }
        return channels
    }

    // MARK: - Templates, quiet hours

    private mutating func templates(
        _ node: Node?, channels: [NotificationChannel], ruleNode: Node, what: String
    ) -> ChannelTemplates? {
        let needed = channels.filter { $0 != .webhook }
        guard let node else {
            if !needed.isEmpty {
                reader.fail(ruleNode, "\(what): template is required for \(needed.map(\.ruleName).joined(separator: ", "))")
                return nil
            }
            return ChannelTemplates()
        }
        guard let pairs = reader.mapping(node, "\(what): template", allowed: ["push", "email", "sms"]) else { return nil }
        for channel in needed where pairs[channel.ruleName] == nil {
            reader.fail(node, "\(what): template.\(channel.ruleName) is required (the rule sends \(channel.ruleName))")
        }
        var templates = ChannelTemplates()
        if let push = pairs["push"],
            let parts = reader.mapping(push.value, "\(what): template.push", allowed: ["title", "body"], required: ["body"]),
            let body = template(parts["body"]?.value, .text, "\(what): template.push.body")
        {
            templates.push = .init(title: template(parts["title"]?.value, .text, "\(what): template.push.title"), body: body)
        }
        if let email = pairs["email"],
            let parts = reader.mapping(email.value, "\(what): template.email", allowed: ["subject", "text", "html"], required: ["subject"])
        {
            if parts["text"] == nil, parts["html"] == nil {
                reader.fail(email.value, "\(what): template.email needs text, html or both")
            }
            if let subject = template(parts["subject"]?.value, .text, "\(what): template.email.subject") {
                templates.email = .init(
                    subject: subject, text: template(parts["text"]?.value, .text, "\(what): template.email.text"),
                    html: template(parts["html"]?.value, .html, "\(what): template.email.html"))
            }
        }
        if let sms = pairs["sms"],
            let parts = reader.mapping(sms.value, "\(what): template.sms", allowed: ["body"], required: ["body"]),
            let body = template(parts["body"]?.value, .text, "\(what): template.sms.body")
        {
            templates.sms = .init(body: body)
        }
        return templates
    }

    /// A template at `node`; a syntax error is reported at its line in the rules file.
    private mutating func template(_ node: Node?, _ escaping: MessageTemplate.Escaping, _ what: String) -> MessageTemplate? {
        guard let node, let text = reader.string(node, what) else { return nil }
        do {
            return try MessageTemplate(text, escaping: escaping)
        } catch {
            // A block scalar (| or >) starts on the line after its mark.
            let style = node.scalar?.style
            let first = (node.mark?.line ?? 1) + (style == .literal || style == .folded ? 1 : 0)
            reader.fail(line: first + error.line - 1, "\(what): template syntax: \(error.reason)")
            return nil
        }
    }

    private mutating func quietHours(_ node: Node, what: String) -> QuietHours? {
        guard let pairs = reader.mapping(node, "\(what): quietHours", allowed: ["start", "end"], required: ["start", "end"]) else {
            return nil
        }
        var minutes: [Int] = []
        for key in ["start", "end"] {
            guard let entry = pairs[key], let text = entry.value.scalar?.string else { return nil }
            guard let value = QuietHours.minutes(text) else {
                reader.fail(entry.value, "\(what): quietHours.\(key) \"\(text)\" is not HH:MM")
                return nil
            }
            minutes.append(value)
        }
        guard minutes[0] != minutes[1] else {
            reader.fail(node, "\(what): quietHours start and end are the same time")
            return nil
        }
        return QuietHours(start: minutes[0], end: minutes[1])
    }
}
