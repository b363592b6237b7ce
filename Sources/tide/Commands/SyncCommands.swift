import ArgumentParser
import Dispatch
import Foundation
import Synchronization
import TideClient
import TideModel

#if canImport(Glibc)
import Glibc
#endif

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "The user, the link, the outbox and each model's sync.")

    func run() async throws {
        let profile = Profile.current
        let client = try await profile.signedInClient()
        let status = try await client.status()
        let online = profile.isOnline
        if Output.json {
            var models: [String: JSONValue] = [:]
            for model in status.models {
                models[model.name] = ["lastSync": model.lastSync.map(JSONValue.int) ?? .null, "records": .int(Int64(model.records))]
            }
            Output.printJSON([
                "server": .string(client.configuration.server.absoluteString),
                "user": ["id": .string(status.user.id), "username": .string(status.user.username)],
                "link": .string(online ? "online" : "offline"),
                "outbox": ["pending": .int(Int64(status.pending)), "parked": .int(Int64(status.parked))],
                "models": .object(models),
            ])
            return
        }
        Output.line("\(Output.bold("server")) \(client.configuration.server.absoluteString)")
        Output.line("\(Output.bold("user"))   \(status.user.username) (\(status.user.id))")
        Output.line("\(Output.bold("link"))   \(online ? Output.colour("online", 32) : Output.colour("offline", 33))")
        Output.line("\(Output.bold("outbox")) \(status.pending) pending, \(status.parked) parked")
        Output.table(["model", "records", "last sync"], status.models.map { [$0.name, String($0.records), Output.time($0.lastSync)] })
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the outbox, then pull every model's changes (does nothing while the profile is offline).")

    func run() async throws {
        let profile = Profile.current
        guard profile.isOnline else {
            if Output.json {
                Output.printJSON(["sent": 0, "parked": 0, "received": 0, "conflicts": 0, "offline": true])
            } else {
                Output.line("offline: nothing sent or fetched (tide online to reconnect)")
            }
            return
        }
        let client = try await unlockedClient(refreshSchema: true)
        let progress = Progress()
        let summary = try await client.syncNow { progress.show($0) }
        progress.finish()
        for (model, reason) in summary.skipped.sorted(by: { $0.key < $1.key }) {
            Output.note("skipped \(model): not readable by this user (\(reason))")
        }
        if summary.outboxBusy { Output.note("note: another tide process (tide watch?) is sending this profile's outbox") }
        if Output.json {
            Output.printJSON([
                "sent": .int(Int64(summary.sent)), "parked": .int(Int64(summary.parked)), "received": .int(Int64(summary.received)),
                "conflicts": .int(Int64(summary.conflicts)),
            ])
        } else {
            var line = "sent \(summary.sent), received \(summary.received), conflicts \(summary.conflicts)"
            if summary.parked > 0 { line += ", " + Output.colour("parked \(summary.parked)", 33) + " (tide outbox)" }
            if summary.remaining > 0 { line += ", \(summary.remaining) waiting to retry" }
            Output.line(line)
        }
    }

    /// A progress line on a terminal's stderr for long pulls (redrawn in place).
    final class Progress: Sendable {
        private let last = Mutex<(String, ContinuousClock.Instant)?>(nil)

        func show(_ progress: TideClient.SyncProgress) {
            guard Output.stderrIsTerminal else { return }
            let text: String
            switch progress {
            case .sending(let sent): text = "sending: \(sent) sent"
            case .pulling(let model, let records): text = "pulling \(model): \(records) records"
            }
            let now = ContinuousClock.now
            let due = last.withLock { state -> Bool in
                if let (previous, at) = state, previous.hasPrefix(String(text.prefix(12))), now - at < .milliseconds(100) { return false }
                state = (text, now)
                return true
            }
            if due { FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8)) }
        }

        func finish() {
            guard Output.stderrIsTerminal, last.withLock({ $0 != nil }) else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }
}

struct Offline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Persist the profile's link as offline: nothing is sent or fetched.")

    func run() async throws {
        try Profile.current.setOnline(false)
        if Output.json { Output.printJSON(["link": "offline"]) } else { Output.line("link: offline") }
    }
}

struct Online: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Persist the profile's link as online.")

    func run() async throws {
        try Profile.current.setOnline(true)
        if Output.json { Output.printJSON(["link": "online"]) } else { Output.line("link: online") }
    }
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stay connected: subscribe, sync, send the outbox as it fills, print each applied change until SIGINT/SIGTERM.")

    @Argument(help: "Models to watch (default: all).") var models: [String] = []

    func run() async throws {
        // First: a SIGTERM from here on ends the watch cleanly (exit 0).
        let (stop, sources) = Self.stopSignals()
        defer { sources.forEach { $0.cancel() } }
        let profile = Profile.current
        let client = try await unlockedClient(refreshSchema: profile.isOnline, models: models.isEmpty ? nil : models)
        if let schema = client.schema {
            for model in models where !schema.syncedModelNames.contains(model) {
                throw TideClientError.unknownModel(model)
            }
        }
        client.setLinkEnabled(profile.isOnline)
        // Listening first: the first sync's changes are printed too.
        let changes = client.changes
        let statuses = client.statusUpdates
        try client.startLiveSync()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await change in changes { Self.print(change) }
            }
            group.addTask {
                for await status in statuses { Output.note("status: \(status)") }
            }
            group.addTask {
                // The link is the profile's: `tide offline` in another shell takes effect here.
                var online = profile.isOnline
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(300))
                    if profile.isOnline != online {
                        online.toggle()
                        client.setLinkEnabled(online)
                    }
                }
            }
            for await _ in stop { break }
            await client.stopLiveSync()
            group.cancelAll()
        }
    }

    private static func print(_ change: AppliedChange) {
        if Output.json {
            Output.printJSON(change.json)
        } else {
            let op = Output.colour(change.operation.rawValue, change.operation == .delete ? 31 : change.operation == .create ? 32 : 34)
            Output.line("\(op) \(change.model) \(change.id) v\(change.version) \(change.record.map { Output.cell($0.json) } ?? "")")
        }
    }

    /// SIGINT and SIGTERM, delivered as values (the default handlers are turned off); the
    /// sources must be kept alive while the stream is read.
    private static func stopSignals() -> (AsyncStream<Int32>, [any DispatchSourceSignal]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        return (stream, sources)
    }
}

struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queued writes (pending and parked); retry or discard a parked one.",
        subcommands: [List.self, Retry.self, Discard.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the queued writes.")

        func run() async throws {
            let entries = try await Profile.current.signedInClient().outbox()
            if Output.json {
                Output.printJSON(.array(entries.map(\.json)))
                return
            }
            Output.table(
                ["id", "model", "record", "op", "state", "attempts", "reason"],
                entries.map { entry in
                    let state = entry.state == .parked ? Output.colour("parked", 33) : "pending"
                    return [String(entry.id), entry.model, entry.recordID, entry.operation.rawValue, state, String(entry.attempts), entry.reason ?? ""]
                }, maxWidth: 60)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "retry", abstract: "Send a parked entry again.")
        @Argument var id: Int64

        func run() async throws {
            try await Profile.current.signedInClient().retryOutboxEntry(id)
            if Output.json { Output.printJSON(["retried": .int(id)]) } else { Output.line("entry \(id) will be sent again") }
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discard", abstract: "Drop a parked entry (and the record's writes behind it): the server's copy returns.")
        @Argument var id: Int64

        func run() async throws {
            try await Profile.current.signedInClient().discardOutboxEntry(id)
            if Output.json { Output.printJSON(["discarded": .int(id)]) } else { Output.line("entry \(id) discarded") }
        }
    }
}

struct Conflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The recorded conflict resolutions.")

    func run() async throws {
        let records = try await Profile.current.signedInClient().conflicts()
        if Output.json {
            Output.printJSON(.array(records.map(\.json)))
            return
        }
        Output.table(
            ["time", "model", "record", "op", "versions", "strategy", "outcome", "detail"],
            records.map {
                [Output.time($0.at), $0.model, $0.recordID, $0.operation,
                 "\($0.localVersion.map(String.init) ?? "-")→\($0.serverVersion.map(String.init) ?? "-")", $0.strategy, $0.outcome,
                 $0.detail ?? ""]
            }, maxWidth: 60)
    }
}
