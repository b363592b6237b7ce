import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One fan-out run against one server: idle RSS, N subscribers, RSS with them idle, creates at
/// a fixed rate with the RSS sampled, a bounded drain, then one JSON line on stdout.
@main
struct Fanout {
    static func main() async {
        // Swift concurrency on NIO's event loops, as in `tidewater serve`: a received frame does
        // not hop to another thread pool before it is timestamped.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        do {
            let options = try Options.parse()
            print(try await run(options))
            exit(0)  // the subscribers' sockets close with the process
        } catch {
            FileHandle.standardError.write(Data("fanout: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run(_ o: Options) async throws -> String {
        let group = MultiThreadedEventLoopGroup.singleton
        let creator = Creator(connection: try await HTTPConnection.connect(host: o.host, port: o.port, group: group), options: o)

        // Warm-up creates (before anyone subscribes) so the idle figure includes the write path.
        let warm = Recorder(prefix: randomPrefix(), planned: o.warmup)
        for i in 0..<o.warmup { try await creator.create(id: warm.id(i)) }
        try await Task.sleep(for: .seconds(o.settleSeconds))
        let rssIdle = residentKiB(pid: o.pid)

        let planned = o.rate * o.seconds
        let recorder = Recorder(prefix: randomPrefix(), planned: planned)
        let logs = (0..<o.subscribers).map { _ in SubscriberLog(planned: planned) }
        let connectStart = ContinuousClock.now
        try await subscribeAll(o, logs: logs, recorder: recorder, group: group)
        let connectSeconds = seconds(ContinuousClock.now - connectStart)
        try await Task.sleep(for: .seconds(o.settleSeconds))
        let rssSubscribed = residentKiB(pid: o.pid)

        // Load: one create every 1/rate s on a fixed schedule, the RSS sampled meanwhile.
        let peak = Atomic<Int>(rssSubscribed ?? 0)
        let sampling = Atomic<Bool>(true)
        let sampler = Task {
            while sampling.load(ordering: .relaxed) {
                if let kib = residentKiB(pid: o.pid) { peak.max(kib, ordering: .relaxed) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        var created = Array(repeating: false, count: planned)
        var createErrors: [String] = []
        var createLatencies: [Int64] = []
        // CPU used by the server and by this client over the load and the drain: shows whether
        // the client (same cores) could be what limits the latency.
        let serverCPUStart = cpuSeconds(pid: o.pid), clientCPUStart = cpuSeconds(pid: getpid())
        let interval = Duration.seconds(1) / o.rate
        let start = ContinuousClock.now + .milliseconds(100)
        for i in 0..<planned {
            try await Task.sleep(until: start + interval * i, clock: .continuous)
            recorder.markSent(i)
            let sent = ContinuousClock.now
            do {
                try await creator.create(id: recorder.id(i))
                created[i] = true
                createLatencies.append(nanos(ContinuousClock.now - sent))
            } catch {
                createErrors.append("\(error)")
            }
        }
        let loadSeconds = seconds(ContinuousClock.now - start)

        // Drain: bounded wait for every subscriber to have every created record.
        let expected = o.subscribers * created.filter { $0 }.count
        let drainDeadline = ContinuousClock.now + .seconds(o.drainTimeout)
        while recorder.uniqueReceipts.load(ordering: .relaxed) < expected, ContinuousClock.now < drainDeadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let drainSeconds = seconds(ContinuousClock.now - start)
        let serverCPU = elapsed(serverCPUStart, cpuSeconds(pid: o.pid))
        let clientCPU = elapsed(clientCPUStart, cpuSeconds(pid: getpid()))
        sampling.store(false, ordering: .relaxed)
        _ = await sampler.value
        if let kib = residentKiB(pid: o.pid) { peak.max(kib, ordering: .relaxed) }

        var latencies: [Int64] = []
        var lost = 0, duplicates = 0, unknown = 0
        var failures: [String] = []
        for log in logs {
            log.state.withLock { s in
                latencies += s.latenciesNanos
                lost += zip(created, s.received).filter { $0 && !$1 }.count
                duplicates += s.duplicates
                unknown += s.unknown
                if let f = s.failure { failures.append(f) }
            }
        }
        latencies.sort()
        createLatencies.sort()
        let result: [String: Any] = [
            "server": o.server.rawValue, "subscribers": o.subscribers, "rate": o.rate, "seconds": o.seconds,
            "creates": planned, "created": created.filter { $0 }.count, "create_errors": createErrors.count,
            "create_error_sample": createErrors.first ?? "",
            "load_seconds": loadSeconds, "connect_seconds": connectSeconds,
            "events": latencies.count, "lost": lost, "duplicates": duplicates, "unknown": unknown,
            "failed_subscribers": failures.count, "failure_sample": failures.first ?? "",
            "p50_ms": millis(percentile(latencies, 0.50)), "p99_ms": millis(percentile(latencies, 0.99)),
            "max_ms": millis(latencies.last),
            "create_p50_ms": millis(percentile(createLatencies, 0.50)), "create_p99_ms": millis(percentile(createLatencies, 0.99)),
            "rss_idle_kib": rssIdle ?? -1, "rss_subscribed_kib": rssSubscribed ?? -1,
            "rss_load_kib": peak.load(ordering: .relaxed),
            "load_and_drain_seconds": drainSeconds,
            "server_cpu_seconds": serverCPU, "client_cpu_seconds": clientCPU,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        return String(decoding: json, as: UTF8.self)
    }

    /// Connects and subscribes everyone, `connectConcurrency` at a time; every wait bounded.
    static func subscribeAll(_ o: Options, logs: [SubscriberLog], recorder: Recorder, group: any EventLoopGroup) async throws {
        let workers = min(o.connectConcurrency, logs.count)
        let readyTimeout = TimeAmount.nanoseconds(Int64(o.readyTimeout * 1e9))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for w in 0..<workers {
                tasks.addTask {
                    // PocketBase: each worker subscribes its clients over its own keep-alive connection.
                    let setup = o.server == .pocketbase
                        ? try await HTTPConnection.connect(host: o.host, port: o.port, group: group) : nil
                    for i in stride(from: w, to: logs.count, by: workers) {
                        switch o.server {
                        case .tidewater:
                            try await WSSubscriber.start(
                                host: o.host, port: o.port, token: o.token,
                                id: o.sharedOperationID ? "1" : UUID().uuidString.lowercased(),
                                query: o.distinctSubscriptions
                                    ? "subscription S\(i) { onCreateNote { id } }" : "subscription { onCreateNote { id } }",
                                group: group, log: logs[i],
                                recorder: recorder, timeout: readyTimeout)
                        case .pocketbase:
                            _ = try await SSESubscriber.start(
                                host: o.host, port: o.port, group: group, log: logs[i], recorder: recorder,
                                setup: setup!, timeout: readyTimeout)
                        }
                    }
                    setup?.close()
                }
            }
            try await tasks.waitForAll()
        }
    }

    /// 7 characters, a letter first: the run's id prefix (PocketBase ids are [a-z0-9]{15}).
    static func randomPrefix() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz"), alnum = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String(letters.randomElement()!) + String((0..<6).map { _ in alnum.randomElement()! })
    }

    static func percentile(_ sorted: [Int64], _ p: Double) -> Int64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))  // nearest rank
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    static func nanos(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    /// end − start, or −1 when either could not be read.
    static func elapsed(_ start: Double?, _ end: Double?) -> Double {
        guard let start, let end else { return -1 }
        return ((end - start) * 100).rounded() / 100
    }

    static func seconds(_ d: Duration) -> Double { Double(nanos(d)) / 1e9 }

    static func millis(_ nanos: Int64?) -> Any {
        guard let nanos else { return NSNull() }
        return (Double(nanos) / 1e6 * 100).rounded() / 100
    }
}
