import TideTestSupport

/// The two models the simulator writes, one per conflict strategy of Schema/example.graphql.
public enum SimModel: String, Sendable, CaseIterable {
    /// AUTOMERGE; every write adds a label to `labels` (`@set`: concurrent adds are unioned),
    /// so no accepted write may be missing from the final record.
    case task = "Task"
    /// OPTIMISTIC_CONCURRENCY (the client's default: server wins); every write appends a word to
    /// `content`, so an applied write's word stays in every later version.
    case post = "Post"

    var idPrefix: String { self == .task ? "t" : "p" }
}

/// One step of a run. Clients are numbered from 0; `token` is the word a write adds
/// (`c<client>s<step>`), unique in the run.
public enum Step: Sendable, Hashable, CustomStringConvertible {
    /// `tide save` of a new record.
    case create(client: Int, model: SimModel, id: String, token: String)
    /// A record with an id every device of the user knows (as an app's per-user settings
    /// record): `tide get`, then `tide save` with the token added when the client holds the
    /// record, or of a new record when it does not, so that two devices may create it at once.
    case createShared(client: Int, model: SimModel, id: String, token: String)
    /// `tide get`, then `tide save` of the record with the token added (skipped when the client
    /// does not hold the record). Mostly a record of the client's user; now and then another
    /// user's post, which that user may read and not write.
    case update(client: Int, model: SimModel, id: String, token: String)
    /// `tide delete`.
    case delete(client: Int, model: SimModel, id: String)
    case offline(client: Int)
    case online(client: Int)
    /// `tide sync` in the foreground.
    case sync(client: Int)
    /// Starts `tide watch` in the background.
    case startWatch(client: Int)
    /// SIGTERM to the client's `tide watch` (it must exit 0).
    case stopWatch(client: Int)
    /// SIGKILL to the client's `tide watch`.
    case killWatch(client: Int)
    /// Starts `tide sync` and kills it with SIGKILL after `afterMilliseconds`.
    case killSync(client: Int, afterMilliseconds: Int)
    /// SIGKILL to the server, then a restart on the same data folder and port.
    case restartServer

    public var description: String {
        switch self {
        case .create(let c, let model, let id, let token): "c\(c) create \(model.rawValue) \(id) +\(token)"
        case .createShared(let c, let model, let id, let token): "c\(c) create-or-update \(model.rawValue) \(id) +\(token)"
        case .update(let c, let model, let id, let token): "c\(c) update \(model.rawValue) \(id) +\(token)"
        case .delete(let c, let model, let id): "c\(c) delete \(model.rawValue) \(id)"
        case .offline(let c): "c\(c) offline"
        case .online(let c): "c\(c) online"
        case .sync(let c): "c\(c) sync"
        case .startWatch(let c): "c\(c) watch"
        case .stopWatch(let c): "c\(c) stop watch (SIGTERM)"
        case .killWatch(let c): "c\(c) kill watch (SIGKILL)"
        case .killSync(let c, let ms): "c\(c) sync killed after \(ms) ms (SIGKILL)"
        case .restartServer: "server killed (SIGKILL) and restarted"
        }
    }
}

/// A run's steps, a pure function of (seed, clients, steps): the same arguments give the same
/// schedule on every machine. What the processes then do with it (how far a killed `tide sync`
/// got, when a `tide watch` reconnects) is up to timing.
public struct Schedule: Sendable, Hashable {
    public let seed: UInt64
    public let clients: Int
    public let steps: [Step]

    /// Clients 0, 2, 4… are devices of user `u0`, clients 1, 3, 5… of `u1` (one user with
    /// fewer than three clients), so devices of one account edit the same records and each user
    /// also reads the other's posts.
    public static func users(clients: Int) -> Int { clients >= 3 ? 2 : 1 }
    public static func user(ofClient client: Int, clients: Int) -> Int { client % users(clients: clients) }

    public init(seed: UInt64, clients: Int, steps count: Int) {
        precondition(clients >= 1 && count >= 0)
        self.seed = seed
        self.clients = clients
        var random = SeededRandom(seed: seed)
        var online = Array(repeating: true, count: clients)
        // Every client starts with a `tide watch` (an app in the foreground): records reach the
        // other devices soon, and the edits of a client that went offline meet theirs.
        var watching = Array(repeating: true, count: clients)
        // Per user: the records the schedule has created and not deleted.
        var live = Array(repeating: [(SimModel, String)](), count: Self.users(clients: clients))
        // Per user and model: the shared record's id has a number that a delete moves on.
        var sharedGeneration: [String: Int] = [:]
        var steps: [Step] = []
        for index in 0..<count {
            let client = random.next(below: clients)
            let user = Self.user(ofClient: client, clients: clients)
            let token = "c\(client)s\(index)"
            // Out of 100: 14 creates, 4 creates-or-updates of the shared record, 28 updates, 2 updates of a post of the other user (the
            // server refuses them: parked), 5 deletes (a write with no record to write creates),
            // 8 link changes, 20 syncs, 7 watch starts or stops, 8 client kills, 4 server restarts.
            let roll = random.next(below: 100)
            let step: Step
            let foreignPosts = live.indices.filter { $0 != user }.flatMap { live[$0] }.filter { $0.0 == .post }
            if roll < 53 {
                if roll >= 46, roll < 48, !foreignPosts.isEmpty {
                    let (model, id) = random.pick(foreignPosts)
                    step = .update(client: client, model: model, id: id, token: token)
                } else if roll >= 18, roll < 48, !live[user].isEmpty {
                    // The user's latest records: devices edit the same few at once.
                    let (model, id) = random.pick(Array(live[user].suffix(4)))
                    step = .update(client: client, model: model, id: id, token: token)
                } else if roll >= 48, !live[user].isEmpty {
                    let (model, id) = live[user].remove(at: random.next(below: live[user].count))
                    if id.contains("-shared") { sharedGeneration["\(user) \(model)", default: 0] += 1 }
                    step = .delete(client: client, model: model, id: id)
                } else if roll < 4 {
                    let model = random.pick(SimModel.allCases)
                    let id = "\(model.idPrefix)-u\(user)-shared\(sharedGeneration["\(user) \(model)", default: 0])"
                    if !live[user].contains(where: { $0.1 == id }) { live[user].append((model, id)) }
                    step = .createShared(client: client, model: model, id: id, token: token)
                } else {
                    let model = random.pick(SimModel.allCases)
                    let id = "\(model.idPrefix)-\(token)"
                    live[user].append((model, id))
                    step = .create(client: client, model: model, id: id, token: token)
                }
            } else if roll < 61 {
                online[client].toggle()
                step = online[client] ? .online(client: client) : .offline(client: client)
            } else if roll < 75 || roll >= 94 {
                step = .sync(client: client)
            } else if roll < 82 {
                watching[client].toggle()
                step = watching[client] ? .startWatch(client: client) : .stopWatch(client: client)
            } else if roll < 90 {
                if watching[client] {
                    watching[client] = false
                    step = .killWatch(client: client)
                } else {
                    step = .killSync(client: client, afterMilliseconds: random.next(in: 0...400))
                }
            } else {
                step = .restartServer
            }
            steps.append(step)
        }
        self.steps = steps
    }
}
