import ArgumentParser
import Foundation
import TideClient
import TideModel

/// The client under test in a process of its own, so that its resident memory is the client's
/// alone (not the seeding's): a fresh store signs in, base-syncs the tasks (catch-up), notes its
/// peak RSS, then runs the local queries. Prints one JSON object on stdout.
struct ClientProcess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client-process", abstract: "The catch-up and query client (started by the benchmark).", shouldDisplay: false)

    /// The account's password comes in the environment, not on the command line.
    static let passwordVariable = "TIDE_CLIENT_BENCH_PASSWORD"
    /// The encryption passphrase (with `--encrypted`), likewise.
    static let passphraseVariable = "TIDE_CLIENT_BENCH_PASSPHRASE"

    @Option var url: String
    @Option var username: String
    @Option var store: String
    @Option var queries: Int
    @Flag var encrypted = false

    func run() async throws {
        guard let server = URL(string: url), let password = ProcessInfo.processInfo.environment[Self.passwordVariable] else {
            throw BenchError("client-process needs --url and \(Self.passwordVariable)")
        }
        var configuration = TideClient.Configuration(server: server, storeDirectory: URL(fileURLWithPath: store))
        configuration.models = ["Task"]
        if encrypted { configuration.fieldTransform = FieldEncryptor() }
        let client = TideClient(configuration: configuration)
        try await client.signIn(username: username, password: password)
        if encrypted {
            guard let passphrase = ProcessInfo.processInfo.environment[Self.passphraseVariable] else {
                throw BenchError("client-process --encrypted needs \(Self.passphraseVariable)")
            }
            try await client.unlockEncryption(passphrase: passphrase)
            // Argon2id's 64 MiB belong to the unlock, not to the catch-up measured next.
            ResidentMemory.resetPeak()
        }
        let rssBefore = ResidentMemory.current ?? 0

        let clock = ContinuousClock()
        let started = clock.now
        let summary = try await client.syncNow()
        let catchUp = clock.now - started
        let peak = ResidentMemory.peak ?? 0
        let local = try await client.status().models.first { $0.name == "Task" }?.records ?? 0
        if encrypted {
            let failures = try await client.decryptionFailures()
            let sample = try await client.get("Task", id: TaskFixture.id(0))
            guard failures.isEmpty, sample?["assigneeEmail"] == .string(TaskFixture.assignee(0)) else {
                throw BenchError("the catch-up did not decrypt every value (\(failures.count) failures)")
            }
        }

        var random = SystemRandomNumberGenerator()
        var times: [Duration] = []
        times.reserveCapacity(queries)
        var returned = 0
        for _ in 0..<queries {
            let status = TaskFixture.statuses.randomElement(using: &random)!
            let priority = Int64.random(in: 0..<Int64(TaskFixture.priorities), using: &random)
            let filter: JSONValue = ["status": ["eq": .string(status)], "priority": ["eq": .int(priority)]]
            let before = clock.now
            let records = try await client.query("Task", filter: filter)
            times.append(clock.now - before)
            returned += records.count
            guard records.allSatisfy({ $0["status"] == .string(status) && $0["priority"] == .int(priority) }) else {
                throw BenchError("a local query returned a task outside its filter")
            }
        }
        times.sort()
        let report: JSONValue = [
            "received": .int(Int64(summary.received)), "localRecords": .int(Int64(local)), "catchUpSeconds": .double(catchUp.seconds),
            "rssBeforeBytes": .int(Int64(rssBefore)), "peakRSSBytes": .int(Int64(peak)),
            "queryP50Seconds": .double(times.isEmpty ? 0 : times.percentile(0.50).seconds),
            "queryP99Seconds": .double(times.isEmpty ? 0 : times.percentile(0.99).seconds),
            "queryMeanRows": .double(queries == 0 ? 0 : Double(returned) / Double(queries)),
        ]
        try await client.signOut()
        print(report.jsonString)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

extension Array where Element: Comparable {
    /// The value at quantile `q` of a sorted array (nearest rank).
    func percentile(_ q: Double) -> Element {
        self[Swift.min(count - 1, Swift.max(0, Int((q * Double(count)).rounded(.up)) - 1))]
    }
}
