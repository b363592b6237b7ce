import ArgumentParser
import Foundation
import Synchronization
import TideClient
import TideCrypto
import TideModel

/// The client library's figures (Tools/client-bench/README.md): catch-up (a fresh client
/// base-syncs N tasks), the client's peak RSS meanwhile, the drain of M offline writes against
/// the server's own `createTask` rate at 16 connections, and local queries on an indexed field.
@main
struct ClientBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tide-client-bench",
        abstract: "Benchmarks the TideClient library against a real tidewater server.",
        subcommands: [Run.self, ClientProcess.self], defaultSubcommand: Run.self)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Seed, catch up, drain, query; print the figures.")

    @Option(help: "Tasks seeded on the server, then base-synced by a fresh client.") var records = 100_000
    @Option(help: "Offline writes the client queues, then sends.") var writes = 10_000
    @Option(help: "Local queries timed over the synced tasks.") var queries = 1_000
    @Flag(help: "Print the figures as one JSON object.") var json = false
    @Option(help: "A running server to use instead of starting one (its rate limits must be off).") var url: String?
    @Option(help: "The tidewater binary to start (default: the one beside this binary).") var tidewater: String?
    @Option(help: "The schema the started server serves.") var schema = "Schema/example.graphql"
    @Flag(help: "Give every task an end-to-end encrypted, blind-indexed assignee (Task.assigneeEmail): the clients encrypt it before sending and decrypt it on arrival.")
    var encrypted = false

    /// Requests in flight while seeding (each `batch` aliased creates) and for the reference rate.
    static let seedWorkers = 8, batch = 100, referenceConnections = 16

    func validate() throws {
        guard records >= 1, writes >= 1, queries >= 1 else { throw ValidationError("--records, --writes and --queries must be at least 1") }
    }

    func run() async throws {
        let workspace = FileManager.default.temporaryDirectory.appendingPathComponent("tide-client-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        var server: TidewaterServer?
        do {
            let base: URL
            if let url {
                guard let given = URL(string: url), given.host != nil else { throw ValidationError("--url: not a URL: \(url)") }
                base = given
            } else {
                let started = try await TidewaterServer.start(
                    binary: tidewater ?? Self.besideThisBinary("tidewater"), schema: schema,
                    data: workspace.appendingPathComponent("server").path, logPath: workspace.appendingPathComponent("server.log").path)
                server = started
                base = started.url
            }
            let figures = try await measure(base, workspace: workspace, startedServer: server != nil)
            print(json ? figures.json.jsonString : figures.table)
        } catch {
            if let server { note("the server's log: \(server.logPath) (kept)") }
            await server?.child.stop()
            throw error
        }
        await server?.child.stop()
        try? FileManager.default.removeItem(at: workspace)
    }

    private func measure(_ base: URL, workspace: URL, startedServer: Bool) async throws -> Figures {
        let api = ServerAPI(baseURL: base, connections: max(Self.seedWorkers, Self.referenceConnections))
        defer { Task { await api.shutdown() } }
        let username = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let password = UUID().uuidString
        try await api.signUp(username: username, password: password)
        var figures = Figures(records: records, writes: writes, queries: queries, server: base.absoluteString, startedServer: startedServer)
        figures.encrypted = encrypted
        // With --encrypted: the account's keys, set up once; the seeding encrypts with them and
        // the clients unlock them with the passphrase (not timed).
        let passphrase = UUID().uuidString
        let cipher = encrypted
            ? try await Self.setUpKeys(base, username: username, password: password, passphrase: passphrase, store: workspace.appendingPathComponent("keys"))
            : nil

        note("seeding \(records) tasks (\(Self.batch) creates a request, \(Self.seedWorkers) requests at once)…")
        let seeded = Mutex(0)
        let total = records
        let seedTime = try await api.seedTasks(
            count: records, batch: Self.batch, workers: Self.seedWorkers, token: try await api.logIn(username: username, password: password),
            encrypt: cipher.map(Self.encryptedFields)
        ) { count in
            let (before, after) = seeded.withLock { done in
                defer { done += count }
                return (done, done + count)
            }
            if after * 10 / total != before * 10 / total { note("  \(after) seeded") }
        }
        figures.seedSeconds = seedTime.seconds

        note("catch-up: a fresh client base-syncs them (in a process of its own), then \(queries) local queries…")
        let client = try Child(
            name: "client", executable: Self.besideThisBinary("tide-client-bench"),
            arguments: [
                "client-process", "--url", base.absoluteString, "--username", username,
                "--store", workspace.appendingPathComponent("catch-up").path, "--queries", String(queries),
            ] + (encrypted ? ["--encrypted"] : []),
            environment: [ClientProcess.passwordVariable: password, ClientProcess.passphraseVariable: passphrase], stderrPath: nil)
        let status = await client.wait(timeout: .seconds(3600))
        guard status == 0, let line = client.stdout.split(separator: "\n").last, let report = try? JSONParser.parse(String(line)) else {
            throw BenchError("the client process failed (exit \(status))")
        }
        figures.catchUp = report

        note("drain: a client queues \(writes) tasks offline, then sends them…")
        figures.drain = try await drain(
            base, username: username, password: password, passphrase: encrypted ? passphrase : nil, store: workspace.appendingPathComponent("drain"))

        note("reference: \(writes) createTask requests from \(Self.referenceConnections) connections…")
        let reference = try await api.createTasks(
            count: writes, connections: Self.referenceConnections, token: try await api.logIn(username: username, password: password),
            offset: records + writes)
        figures.referenceSeconds = reference.seconds
        return figures
    }

    /// Offline writes, then the link on and one sync that only sends (the client syncs no
    /// model, so nothing is pulled): the time until every write is acknowledged.
    private func drain(_ base: URL, username: String, password: String, passphrase: String?, store: URL) async throws -> Figures.Drain {
        var configuration = TideClient.Configuration(server: base, storeDirectory: store)
        configuration.models = []
        if passphrase != nil { configuration.fieldTransform = FieldEncryptor() }
        let client = TideClient(configuration: configuration)
        try await client.signIn(username: username, password: password)
        if let passphrase { try await client.unlockEncryption(passphrase: passphrase) }
        client.setLinkEnabled(false)
        let clock = ContinuousClock()
        let queuing = clock.now
        for index in 0..<writes {
            var fields = TaskFixture.fields(records + index)
            if passphrase != nil { fields["assigneeEmail"] = .string(TaskFixture.assignee(records + index)) }
            try await client.save("Task", fields)
        }
        let queued = clock.now - queuing
        let pending = try await client.status().pending
        guard pending == writes else { throw BenchError("the outbox holds \(pending) entries, not \(writes)") }
        client.setLinkEnabled(true)
        let sending = clock.now
        let summary = try await client.syncNow()
        let sent = clock.now - sending
        let left = try await client.status()
        guard summary.sent == writes, left.pending == 0, left.parked == 0 else {
            throw BenchError("the drain sent \(summary.sent) of \(writes); \(left.pending) pending, \(left.parked) parked")
        }
        try await client.signOut()
        return Figures.Drain(queueSeconds: queued.seconds, drainSeconds: sent.seconds)
    }

    /// Sets up the account's encryption keys (a client of its own) and returns a cipher with them
    /// for the seeding. The client is not signed out: that would wipe the keys the cipher uses.
    private static func setUpKeys(_ base: URL, username: String, password: String, passphrase: String, store: URL) async throws -> FieldCipher {
        var configuration = TideClient.Configuration(server: base, storeDirectory: store)
        configuration.models = []
        let encryptor = FieldEncryptor()
        configuration.fieldTransform = encryptor
        let client = TideClient(configuration: configuration)
        try await client.signIn(username: username, password: password)
        try await client.setUpEncryption(passphrase: passphrase)
        return FieldCipher(keys: try encryptor.unlockedKeys().ring)
    }

    /// What the client would send for task `index`'s assignee: its id (the ciphertext is bound
    /// to it), the `tw1:` value and the blind index.
    static func encryptedFields(_ cipher: FieldCipher) -> @Sendable (Int) throws -> [String: JSONValue] {
        { index in
            let id = TaskFixture.id(index), email = TaskFixture.assignee(index)
            return [
                "id": .string(id), "assigneeEmail": .string(try cipher.encrypt(email, model: "Task", id: id, field: "assigneeEmail")),
                "assigneeEmailBlindIndex": .string(try cipher.blindIndex(of: email, model: "Task", field: "assigneeEmail")),
            ]
        }
    }

    /// A binary of this build (`.build/<configuration>/NAME`).
    static func besideThisBinary(_ name: String) -> String {
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return me.deletingLastPathComponent().appendingPathComponent(name).path
    }
}

/// A progress line on stderr.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
