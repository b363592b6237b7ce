import Foundation
import TideModel
import TideTestSupport

/// How a crash loop runs.
public struct CrashLoopOptions: Sendable {
    /// How many times the server is killed (and restarted and checked).
    public var iterations: Int
    /// Seeds the kill moments and the writers' choices; the same seed replays them.
    public var seed: UInt64
    /// Concurrent writers per user and model.
    public var writersPerModel: Int
    /// Each load is killed at a seeded random moment between a tenth of this and all of it.
    public var maxLoad: Duration
    /// The schema served (package-relative or absolute); it must have `Note` and `Post` as in Schema/example.graphql.
    public var schema: String
    /// Progress lines.
    public var log: @Sendable (String) -> Void

    public init(
        iterations: Int = 20, seed: UInt64, writersPerModel: Int = 2, maxLoad: Duration = .seconds(2),
        schema: String = "Schema/example.graphql", log: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.iterations = iterations
        self.seed = seed
        self.writersPerModel = writersPerModel
        self.maxLoad = maxLoad
        self.schema = schema
        self.log = log
    }
}

/// Kills a real `tidewater serve` with SIGKILL at random moments while two users' clients
/// write notes (AUTOMERGE) and posts (OPTIMISTIC_CONCURRENCY), and checks after every kill:
///
/// - the database file (opened read-only while the server is dead): `PRAGMA integrity_check`
///   is ok, the feed's seqs are contiguous (apart from a restore's jump), every acknowledged
///   write is in the feed at its seq and version, and every record is at its last acknowledged
///   version (a later one only through writes that got no answer);
/// - the restarted server: each user's base `syncXs` (no lastSync, every page) equals the
///   records the user may read, and WebSocket subscriptions resumed with `resumeFrom` their
///   last seq receive every acknowledged write after it, none twice.
///
/// ```swift
/// let summary = try await CrashLoop.run(CrashLoopOptions(iterations: 3, seed: 42))
/// print(summary)  // crash loop seed 42: 3 iterations, … 0 lost …: PASSED
/// ```
public enum CrashLoop {
    static let users = ["alice", "bob"]

    public static func run(_ options: CrashLoopOptions) async throws -> CrashLoopSummary {
        let data = ServerProcess.temporaryDirectory()
        let ledger = Ledger()
        let report = RunReport()
        let subscribers = users.map { ResumingSubscriber(user: $0, report: report) }
        var random = SplitMix64(seed: options.seed)
        var lastStored: StoredState?
        var acknowledgementsChecked = 0
        options.log("crash loop seed \(options.seed): \(options.iterations) iterations, data in \(data.path)")

        for iteration in 0...options.iterations {
            let server = try await ServerProcess(schema: options.schema, dataDirectory: data, signIn: false)
            var clients: [String: GraphQLClient] = [:]
            var sockets: [GraphQLSocket] = []
            for subscriber in subscribers {
                let token = try await HTTPClient().signIn(server.baseURL, username: subscriber.user)
                clients[subscriber.user] = GraphQLClient(server, credentials: ["Authorization": "Bearer \(token)"])
                sockets.append(try await subscriber.connect(server, token: token))
            }
            if let lastStored {
                for user in users {
                    try await checkBaseSync(clients[user]!, user: user, stored: lastStored, ledger: ledger, report: report)
                }
                for subscriber in subscribers {
                    report.eventsChecked(await subscriber.check(ledger.acknowledgements, timeout: .seconds(20)))
                }
            }
            if iteration == options.iterations {
                for socket in sockets { await socket.close() }
                await server.stop()
                break
            }

            let delay = options.maxLoad / 10 + options.maxLoad * 0.9 * Double.random(in: 0..<1, using: &random)
            let problemsBefore = report.problemCount
            await withTaskGroup(of: Void.self) { group in
                for (u, user) in users.enumerated() {
                    for model in CrashModel.allCases {
                        for w in 0..<options.writersPerModel {
                            let writer = LoadWriter(
                                user: user, client: clients[user]!, model: model, prefix: "\(user)-w\(w)-", ledger: ledger,
                                report: report)
                            let stream = UInt64(iteration) << 16 | UInt64(u) << 8 | UInt64(w) << 1 | (model == .post ? 1 : 0)
                            group.addTask { await writer.run(seed: options.seed, stream: stream, iteration: iteration) }
                        }
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: delay)
                    await server.crash()
                }
            }

            let stored = try StoredState.read(dataDirectory: data)
            if stored.integrity != ["ok"] { report.problem("iteration \(iteration + 1): integrity_check: \(stored.integrity.prefix(10))") }
            for problem in stored.feedProblems { report.problem("iteration \(iteration + 1): \(problem)") }
            let acknowledgements = ledger.acknowledgements
            for ack in acknowledgements[acknowledgementsChecked...] {
                let seq = stored.feed[StoredFeedEntry(model: ack.key.model.rawValue, id: ack.key.id, version: ack.version)]
                if seq == nil || seq! > ack.feedHead {
                    report.problem(
                        "\(ack.key) version \(ack.version), acknowledged with feed head \(ack.feedHead), is in the feed at \(seq.map { "seq \($0)" } ?? "no seq")")
                }
            }
            acknowledgementsChecked = acknowledgements.count
            report.add(ledger.checkAndSettle(against: stored.rows))
            lastStored = stored
            options.log(
                "iteration \(iteration + 1)/\(options.iterations): killed after \(delay.formatted(.units(allowed: [.milliseconds]))), "
                    + "\(acknowledgements.count) writes acknowledged so far, \(stored.feed.count) feed entries, "
                    + "\(report.problemCount - problemsBefore) new problems")
        }
        let passed = report.summary(seed: options.seed, iterations: options.iterations, dataDirectory: nil).passed
        if passed { try? FileManager.default.removeItem(at: data) }
        return report.summary(seed: options.seed, iterations: options.iterations, dataDirectory: passed ? nil : data.path)
    }

    /// A base sync (no lastSync, every page) of each model must equal the live records `user`
    /// may read in the database as the kill left it.
    private static func checkBaseSync(
        _ client: GraphQLClient, user: String, stored: StoredState, ledger: Ledger, report: RunReport
    ) async throws {
        for model in CrashModel.allCases {
            var synced: [String: Int64] = [:]
            var nextToken: JSONValue = .null
            repeat {
                let data = try await client.data(
                    "query S($t: String) { sync\(model.rawValue)s(limit: 100, nextToken: $t) { items { id _version _deleted } nextToken } }",
                    variables: ["t": nextToken])
                let page = data["sync\(model.rawValue)s"]
                for item in page?["items"]?.arrayValue ?? [] {
                    guard let id = item["id"]?.stringValue, let version = item["_version"]?.intValue else { continue }
                    if synced.updateValue(version, forKey: id) != nil { report.problem("\(user) sync\(model.rawValue)s: \(id) on two pages") }
                    if item["_deleted"]?.boolValue == true { report.problem("\(user) sync\(model.rawValue)s: a base sync returned deleted \(id)") }
                }
                nextToken = page?["nextToken"] ?? .null
            } while nextToken != .null
            var expected: [String: Int64] = [:]
            for (key, row) in stored.rows where key.model == model && !row.deleted {
                guard let owner = ledger.owner(of: key), model.isVisible(to: user, owner: owner) else { continue }
                expected[key.id] = row.version
            }
            if synced != expected {
                let missing = expected.filter { synced[$0.key] != $0.value }.keys.sorted()
                let extra = synced.filter { expected[$0.key] != $0.value }.keys.sorted()
                report.problem(
                    "\(user) sync\(model.rawValue)s differs from the table: missing or at another version \(missing.prefix(10)), not expected \(extra.prefix(10))")
            }
        }
    }
}
