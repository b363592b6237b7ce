import Foundation
import TideModel
import Yams

/// A scenario (docs/CLIENT.md): named clients, each with its own profile and user, and steps
/// run in order. Parsed from YAML with every node's line kept, so a malformed file is reported
/// as `file:line: message`.
public struct ScenarioFile: Sendable {
    public struct Client: Sendable, Hashable {
        public var name: String
        /// The scenario user this client signs in as (default: its name). Clients naming the
        /// same user are devices of one account.
        public var user: String
        public var password: String
    }

    public struct Step: Sendable {
        public var line: Int
        public var action: Action
    }

    public enum Action: Sendable {
        case save(client: String, model: String, record: JSONValue, exit: Int32?)
        case delete(client: String, model: String, id: String, exit: Int32?)
        case sync([String])
        case offline([String])
        case online([String])
        case logout(client: String, wipe: Bool)
        case login(client: String, user: String)
        case watch(client: String, models: [String])
        case stop(client: String)
        case kill(client: String)
        case wait(client: String, until: Condition, timeout: Double)
        case sleep(Double)
        case expect(Expectation)
        case tide(client: String, arguments: [String], exit: Int32)
    }

    public enum Condition: Sendable {
        /// The client's `tide watch` reported this status (`live`).
        case status(String)
        case outbox(pending: Int?, parked: Int?)
        case record(model: String, id: String, fields: [String: JSONValue]?)
    }

    public enum Expectation: Sendable {
        case record(client: String, model: String, id: String, fields: [String: JSONValue]?, absent: Bool)
        case query(client: String, model: String, filter: JSONValue?, ids: [String]?, count: Int?)
        case converged(clients: [String], models: [String])
        case outbox(client: String, pending: Int?, parked: Int?)
        case conflicts(client: String, count: Int)
    }

    public var path: String
    public var name: String
    public var server: String?
    public var clients: [Client]
    public var steps: [Step]

    /// Reads and checks a scenario file; a malformed one throws ``ScenarioError``. `{{run}}` in
    /// the text becomes `run` (ids are global on a server: a scenario that writes `n1-{{run}}`
    /// can run again on the same server).
    public static func load(path: String, run: String = "") throws(ScenarioError) -> ScenarioFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScenarioError(file: path, line: 1, message: "cannot read the file")
        }
        return try parse(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "{{run}}", with: run), path: path)
    }

    public static func parse(_ text: String, path: String) throws(ScenarioError) -> ScenarioFile {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw ScenarioError(file: path, line: 1, message: "the file is empty") }
            root = node
        } catch let error as ScenarioError {
            throw error
        } catch {
            throw ScenarioError(file: path, line: Self.line(of: error), message: "malformed YAML: \(Self.problem(of: error))")
        }
        var reader = Reader(path: path)
        return try reader.scenario(root)
    }

    private static func line(of error: any Error) -> Int {
        guard let yaml = error as? YamlError else { return 1 }
        switch yaml {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        case .duplicatedKeysInMapping(_, let context): return context.mark.line
        default: return 1
        }
    }

    private static func problem(of error: any Error) -> String {
        guard let yaml = error as? YamlError else { return "\(error)" }
        switch yaml {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _), .composer(let context, let problem, _, _):
            return [context.map { "\($0.text)" }, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        case .duplicatedKeysInMapping(let duplicates, _):
            return "a mapping repeats the key\(duplicates.count == 1 ? "" : "s") \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))"
        default:
            return "\(yaml)".split(separator: "\n").first.map(String.init) ?? "invalid YAML"
        }
    }
}

/// Walks the YAML nodes into a ``ScenarioFile``, naming the line of anything out of place.
private struct Reader {
    let path: String
    var clients: [String: ScenarioFile.Client] = [:]

    init(path: String) {
        self.path = path
    }

    func fail(_ node: Node?, _ message: String) -> ScenarioError {
        ScenarioError(file: path, line: node?.mark?.line ?? 1, message: message)
    }

    mutating func scenario(_ root: Node) throws(ScenarioError) -> ScenarioFile {
        let top = try mapping(root, "the scenario", allowed: ["name", "server", "clients", "steps"])
        let name = try top["name"].map { node throws(ScenarioError) in try string(node, "name") } ?? (path as NSString).lastPathComponent
        let server = try top["server"].map { node throws(ScenarioError) in try string(node, "server") }
        guard let clientsNode = top["clients"] else { throw fail(root, "a scenario needs `clients:` (a mapping of client names)") }
        let clientMap = try mapping(clientsNode, "clients")
        var ordered: [ScenarioFile.Client] = []
        for (key, value) in clientMap.pairs {
            let fields = value.isNull ? Fields(pairs: []) : try mapping(value, "client \(key)", allowed: ["user", "password"])
            let client = ScenarioFile.Client(
                name: key, user: try fields["user"].map { node throws(ScenarioError) in try string(node, "user") } ?? key,
                password: try fields["password"].map { node throws(ScenarioError) in try string(node, "password") } ?? "scenario password 123")
            clients[key] = client
            ordered.append(client)
        }
        guard !ordered.isEmpty else { throw fail(clientsNode, "`clients:` names no client") }
        guard let stepsNode = top["steps"], case .sequence(let stepNodes) = stepsNode else {
            throw fail(top["steps"] ?? root, "a scenario needs `steps:` (a list)")
        }
        var steps: [ScenarioFile.Step] = []
        for node in stepNodes {
            steps.append(ScenarioFile.Step(line: node.mark?.line ?? 1, action: try step(node)))
        }
        return ScenarioFile(path: path, name: name, server: server, clients: ordered, steps: steps)
    }

    // MARK: Steps

    func step(_ node: Node) throws(ScenarioError) -> ScenarioFile.Action {
        let map = try mapping(node, "a step")
        guard map.pairs.count == 1, let (kind, body) = map.pairs.first else {
            throw fail(node, "a step is a mapping with one key (save, delete, sync, offline, online, login, logout, watch, stop, kill, wait, sleep, expect, tide)")
        }
        switch kind {
        case "save":
            let fields = try mapping(body, "save", allowed: ["client", "model", "record", "exit"])
            let record = try json(try required(fields, "record", body))
            guard case .object = record else { throw fail(fields["record"], "save: `record` must be a mapping") }
            return .save(client: try client(fields, body), model: try string(try required(fields, "model", body), "model"), record: record, exit: try exitCode(fields))
        case "delete":
            let fields = try mapping(body, "delete", allowed: ["client", "model", "id", "exit"])
            return .delete(
                client: try client(fields, body), model: try string(try required(fields, "model", body), "model"),
                id: try string(try required(fields, "id", body), "id"), exit: try exitCode(fields))
        case "sync": return .sync(try clientList(body))
        case "offline": return .offline(try clientList(body))
        case "online": return .online(try clientList(body))
        case "logout":
            if case .scalar = body { return .logout(client: try knownClient(body), wipe: false) }
            let fields = try mapping(body, "logout", allowed: ["client", "wipe"])
            return .logout(client: try client(fields, body), wipe: try fields["wipe"].map { node throws(ScenarioError) in try bool(node, "wipe") } ?? false)
        case "login":
            if case .scalar = body {
                let name = try knownClient(body)
                return .login(client: name, user: clients[name]!.user)
            }
            let fields = try mapping(body, "login", allowed: ["client", "user"])
            let name = try client(fields, body)
            return .login(client: name, user: try fields["user"].map { node throws(ScenarioError) in try string(node, "user") } ?? clients[name]!.user)
        case "watch":
            if case .scalar = body { return .watch(client: try knownClient(body), models: []) }
            let fields = try mapping(body, "watch", allowed: ["client", "models"])
            return .watch(client: try client(fields, body), models: try fields["models"].map { node throws(ScenarioError) in try strings(node, "models") } ?? [])
        case "stop": return .stop(client: try knownClient(body))
        case "kill": return .kill(client: try knownClient(body))
        case "sleep":
            guard let seconds = body.float, seconds >= 0 else { throw fail(body, "sleep takes a number of seconds") }
            return .sleep(seconds)
        case "wait":
            let fields = try mapping(body, "wait", allowed: ["client", "status", "outbox", "record", "timeout"])
            let timeout = try fields["timeout"].map { node throws(ScenarioError) in try number(node, "timeout") } ?? 30
            let condition: ScenarioFile.Condition
            if let status = fields["status"] {
                condition = .status(try string(status, "status"))
            } else if let outbox = fields["outbox"] {
                let (pending, parked) = try counts(outbox)
                condition = .outbox(pending: pending, parked: parked)
            } else if let record = fields["record"] {
                let (model, id, values, _) = try recordReference(record)
                condition = .record(model: model, id: id, fields: values)
            } else {
                throw fail(body, "wait needs one of `status`, `outbox`, `record`")
            }
            return .wait(client: try client(fields, body), until: condition, timeout: timeout)
        case "expect":
            return .expect(try expectation(body))
        case "tide":
            let fields = try mapping(body, "tide", allowed: ["client", "args", "exit"])
            return .tide(
                client: try client(fields, body), arguments: try strings(try required(fields, "args", body), "args"),
                exit: try exitCode(fields) ?? 0)
        default:
            throw fail(node, "unknown step '\(kind)' (expected save, delete, sync, offline, online, login, logout, watch, stop, kill, wait, sleep, expect, tide)")
        }
    }

    func expectation(_ body: Node) throws(ScenarioError) -> ScenarioFile.Expectation {
        let fields = try mapping(body, "expect", allowed: ["client", "record", "query", "ids", "count", "converged", "model", "models", "outbox", "conflicts"])
        if let converged = fields["converged"] {
            let names = try clientList(converged)
            guard names.count >= 2 else { throw fail(converged, "converged needs at least two clients") }
            var models = try fields["models"].map { node throws(ScenarioError) in try strings(node, "models") } ?? []
            if let model = fields["model"] { models.append(try string(model, "model")) }
            guard !models.isEmpty else { throw fail(body, "converged needs `model:` or `models:`") }
            return .converged(clients: names, models: models)
        }
        let name = try client(fields, body)
        if let record = fields["record"] {
            let (model, id, values, absent) = try recordReference(record)
            return .record(client: name, model: model, id: id, fields: values, absent: absent)
        }
        if let query = fields["query"] {
            let spec = try mapping(query, "query", allowed: ["model", "filter"])
            let ids = try fields["ids"].map { node throws(ScenarioError) in try strings(node, "ids") }
            let count = try fields["count"].map { node throws(ScenarioError) in try integer(node, "count") }
            guard ids != nil || count != nil else { throw fail(query, "expect query needs `ids:` or `count:`") }
            return .query(
                client: name, model: try string(try required(spec, "model", query), "model"),
                filter: try spec["filter"].map { node throws(ScenarioError) in try json(node) }, ids: ids, count: count)
        }
        if let outbox = fields["outbox"] {
            let (pending, parked) = try counts(outbox)
            return .outbox(client: name, pending: pending, parked: parked)
        }
        if let conflicts = fields["conflicts"] {
            return .conflicts(client: name, count: try integer(conflicts, "conflicts"))
        }
        throw fail(body, "expect needs one of `record`, `query`, `converged`, `outbox`, `conflicts`")
    }

    func recordReference(_ node: Node) throws(ScenarioError) -> (String, String, [String: JSONValue]?, Bool) {
        let spec = try mapping(node, "record", allowed: ["model", "id", "fields", "absent"])
        var values: [String: JSONValue]?
        if let fieldsNode = spec["fields"] {
            guard case .object(let object) = try json(fieldsNode) else { throw fail(fieldsNode, "`fields` must be a mapping") }
            values = object
        }
        return (
            try string(try required(spec, "model", node), "model"), try string(try required(spec, "id", node), "id"), values,
            try spec["absent"].map { node throws(ScenarioError) in try bool(node, "absent") } ?? false
        )
    }

    func counts(_ node: Node) throws(ScenarioError) -> (Int?, Int?) {
        let spec = try mapping(node, "outbox", allowed: ["pending", "parked"])
        let pending = try spec["pending"].map { node throws(ScenarioError) in try integer(node, "pending") }
        let parked = try spec["parked"].map { node throws(ScenarioError) in try integer(node, "parked") }
        guard pending != nil || parked != nil else { throw fail(node, "outbox needs `pending:` or `parked:`") }
        return (pending, parked)
    }

    // MARK: Values

    struct Fields {
        var pairs: [(String, Node)]
        subscript(key: String) -> Node? { pairs.first { $0.0 == key }?.1 }
    }

    func mapping(_ node: Node, _ what: String, allowed: Set<String>? = nil) throws(ScenarioError) -> Fields {
        guard case .mapping(let map) = node else { throw fail(node, "\(what) must be a mapping") }
        var pairs: [(String, Node)] = []
        for (key, value) in map {
            guard let name = key.string else { throw fail(key, "\(what): keys must be strings") }
            if let allowed, !allowed.contains(name) {
                throw fail(key, "\(what): unknown key '\(name)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            if pairs.contains(where: { $0.0 == name }) { throw fail(key, "\(what): '\(name)' appears twice") }
            pairs.append((name, value))
        }
        return Fields(pairs: pairs)
    }

    func required(_ fields: Fields, _ key: String, _ parent: Node) throws(ScenarioError) -> Node {
        guard let node = fields[key] else { throw fail(parent, "missing `\(key)`") }
        return node
    }

    func string(_ node: Node, _ what: String) throws(ScenarioError) -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, "`\(what)` must be a string") }
        return scalar.string
    }

    func strings(_ node: Node, _ what: String) throws(ScenarioError) -> [String] {
        switch node {
        case .scalar(let scalar): return [scalar.string]
        case .sequence(let items):
            var result: [String] = []
            for item in items { result.append(try string(item, what)) }
            return result
        default: throw fail(node, "`\(what)` must be a string or a list of strings")
        }
    }

    func bool(_ node: Node, _ what: String) throws(ScenarioError) -> Bool {
        guard case .scalar = node, let value = node.bool else { throw fail(node, "`\(what)` must be true or false") }
        return value
    }

    func integer(_ node: Node, _ what: String) throws(ScenarioError) -> Int {
        guard case .scalar = node, let value = node.int, value >= 0 else { throw fail(node, "`\(what)` must be a whole number") }
        return value
    }

    func number(_ node: Node, _ what: String) throws(ScenarioError) -> Double {
        guard case .scalar = node, let value = node.float, value >= 0 else { throw fail(node, "`\(what)` must be a number") }
        return value
    }

    func exitCode(_ fields: Fields) throws(ScenarioError) -> Int32? {
        try fields["exit"].map { node throws(ScenarioError) in Int32(try integer(node, "exit")) }
    }

    func knownClient(_ node: Node) throws(ScenarioError) -> String {
        let name = try string(node, "client")
        guard clients[name] != nil else {
            throw fail(node, "unknown client '\(name)' (declared: \(clients.keys.sorted().joined(separator: ", ")))")
        }
        return name
    }

    func client(_ fields: Fields, _ parent: Node) throws(ScenarioError) -> String {
        try knownClient(try required(fields, "client", parent))
    }

    func clientList(_ node: Node) throws(ScenarioError) -> [String] {
        switch node {
        case .scalar: return [try knownClient(node)]
        case .sequence(let items):
            var names: [String] = []
            for item in items { names.append(try knownClient(item)) }
            guard !names.isEmpty else { throw fail(node, "the list of clients is empty") }
            return names
        default: throw fail(node, "expected a client name or a list of client names")
        }
    }

    /// A YAML value as JSON: plain scalars are null, booleans, integers or floats when they
    /// read as one (`true`, `12`, `1.5`), quoted scalars are always strings.
    func json(_ node: Node) throws(ScenarioError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return .string(scalar.string) }
            let text = scalar.string
            if text == "null" || text == "~" || text.isEmpty { return .null }
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
            if let integer = Int64(text) { return .int(integer) }
            if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let double = Double(text), double.isFinite { return .double(double) }
            return .string(text)
        case .sequence(let items):
            var values: [JSONValue] = []
            for item in items { values.append(try json(item)) }
            return .array(values)
        case .mapping:
            let fields = try mapping(node, "a value")
            var object: [String: JSONValue] = [:]
            for (key, value) in fields.pairs { object[key] = try json(value) }
            return .object(object)
        case .alias:
            throw fail(node, "YAML aliases are not supported in scenario values")
        }
    }
}

extension Node {
    var isNull: Bool {
        if case .scalar(let scalar) = self, scalar.style == .plain, ["", "~", "null"].contains(scalar.string) { return true }
        return false
    }
}
