import Foundation
import Synchronization
import Testing
import TideModel
import TideTestSupport

/// `tidewater backup` while the server writes, `tidewater restore` into a new folder, and what
/// clients that synced or subscribed before the restore are told (docs/OPERATIONS.md).
@Suite struct BackupRestoreTests {
    static let create = "mutation C($input: CreateNoteInput!) { createNote(input: $input) { id _version } }"
    static let update = "mutation U($input: UpdateNoteInput!) { updateNote(input: $input) { id _version } }"

    @Test func backupUnderWritesRestoresEveryAcknowledgedWrite() async throws {
        let server = try await ServerProcess()
        let client = GraphQLClient(server)
        let folder = ServerProcess.temporaryDirectory()
        defer {
            server.removeData()
            try? FileManager.default.removeItem(at: folder)
        }
        let archive = folder.appendingPathComponent("backup.tar").path
        let acknowledged = Acknowledged()
        let stop = StopFlag()
        let dataPath = server.dataDirectory.path

        // Eight writers create notes and update every third one, until told to stop.
        let (beforeBackup, backup) = try await withThrowingTaskGroup(of: ([String: Int64], CLIResult)?.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var i = 0
                    while !stop.isSet {
                        let id = "b\(worker)-\(i)"
                        i += 1
                        let created = try await client.data(Self.create, variables: ["input": ["id": .string(id), "title": "v1"]])
                        guard let version = created["createNote"]?["_version"]?.intValue else { throw TestFailure("no version for \(id)") }
                        acknowledged.record(id, version)
                        if i % 3 == 0 {
                            let updated = try await client.data(
                                Self.update, variables: ["input": ["id": .string(id), "title": "v2", "_version": .int(version)]])
                            acknowledged.record(id, try #require(updated["updateNote"]?["_version"]?.intValue))
                        }
                    }
                    return nil
                }
            }
            group.addTask {
                let deadline = ContinuousClock.now + .seconds(30)
                while acknowledged.count < 200 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                // Everything acknowledged now committed before the backup process starts.
                let before = acknowledged.all
                let result = try await runTidewater(["backup", "--data", dataPath, "--to", archive])
                try await Task.sleep(for: .milliseconds(300))  // writes go on after the copy
                stop.set()
                return (before, result)
            }
            var outcome: ([String: Int64], CLIResult)?
            for try await result in group where result != nil { outcome = result }
            return try #require(outcome)
        }
        #expect(backup.status == 0, "backup: \(backup.stderr)")
        #expect(beforeBackup.count >= 200)
        #expect(acknowledged.count > beforeBackup.count, "writes continued during and after the backup")

        // A client that synced after the backup, and a subscriber's feed position from then.
        let (_, lateSync, _) = try await SyncTests.fullSync(client, lastSync: nil)
        let oldHead = try await server.feedHead()

        let restored = folder.appendingPathComponent("restored")
        let intoLive = try await runTidewater(["restore", "--from", archive, "--data", server.dataDirectory.path])
        #expect(intoLive.status == 1)
        #expect(intoLive.stderr.contains("in use by a running server"), "\(intoLive.stderr)")
        #expect(await server.stop() == 0)
        let intoUsed = try await runTidewater(["restore", "--from", archive, "--data", server.dataDirectory.path])
        #expect(intoUsed.status == 1)
        #expect(intoUsed.stderr.contains("is not empty"), "\(intoUsed.stderr)")

        let restore = try await runTidewater(["restore", "--from", archive, "--data", restored.path])
        #expect(restore.status == 0, "restore: \(restore.stderr)")
        #expect(restore.stdout.contains("integrity ok"))

        let second = try await ServerProcess(dataDirectory: restored)
        defer { second.removeData() }
        let client2 = GraphQLClient(second)
        var missing: [String] = []
        for (id, version) in beforeBackup {
            let data = try await client2.data("query G($id: ID!) { getNote(id: $id) { _version } }", variables: ["id": .string(id)])
            // A write acknowledged before the backup is there, at its version or a later one
            // (a writer may have updated it between the snapshot of `before` and the copy).
            if (data["getNote"]?["_version"]?.intValue ?? 0) < version { missing.append(id) }
        }
        #expect(missing.isEmpty, "acknowledged before the backup, missing after the restore: \(missing.prefix(10))")

        // The client's lastSync names history the restore threw away: a flagged base sync.
        let (items, startedAt, extensions) = try await SyncTests.fullSync(client2, lastSync: lateSync)
        let flag = try #require(extensions?["baseSync"]?.arrayValue?.first, "sync after the restore must be flagged")
        #expect(flag["path"] == ["syncNotes"])
        #expect(flag["reason"]?.stringValue?.contains("restored from a backup") == true)
        #expect(items.count >= beforeBackup.count)
        #expect(startedAt > lateSync, "positions after the restore are newer than any before it")
        // From the base sync's startedAt on, deltas are exact again.
        let (_, _, deltaExtensions) = try await SyncTests.fullSync(client2, lastSync: startedAt)
        #expect(deltaExtensions?["baseSync"] == nil)

        // A subscriber resuming from a position of the lost history is told so, also once new
        // writes have moved the restored feed on.
        _ = try await client2.data(Self.create, variables: ["input": ["id": "after-restore", "title": "new"]])
        let socket = try await GraphQLSocket.connect(second)
        try await socket.initialize(["Authorization": "Bearer \(try #require(second.defaultToken))"])
        try await socket.subscribe("s", "subscription { onCreateNote { id } }", resumeFrom: oldHead)
        let refused = try await socket.next()
        #expect(refused["type"] == "error")
        #expect(refused.firstError?["extensions"]?["code"] == "RESUME_TOO_OLD")
        await socket.close()
        #expect(await second.stop() == 0)
    }

    @Test func damagedOrForeignArchivesAreRefused() async throws {
        let server = try await ServerProcess()
        let folder = ServerProcess.temporaryDirectory()
        defer {
            server.removeData()
            try? FileManager.default.removeItem(at: folder)
        }
        _ = try await GraphQLClient(server).data(Self.create, variables: ["input": ["title": "x"]])
        let archive = folder.appendingPathComponent("b.tar")
        #expect(try await runTidewater(["backup", "--data", server.dataDirectory.path, "--to", archive.path]).status == 0)
        #expect(await server.stop() == 0)

        // One byte changed inside the first file's content.
        var bytes = try Data(contentsOf: archive)
        bytes[512 + 2000] ^= 0xFF
        let damaged = folder.appendingPathComponent("damaged.tar")
        try bytes.write(to: damaged)
        let refused = try await runTidewater(["restore", "--from", damaged.path, "--data", folder.appendingPathComponent("r1").path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("damaged"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("r1").path), "nothing is left behind")

        let truncated = folder.appendingPathComponent("truncated.tar")
        try bytes.prefix(bytes.count / 2).write(to: truncated)
        let cut = try await runTidewater(["restore", "--from", truncated.path, "--data", folder.appendingPathComponent("r2").path])
        #expect(cut.status == 1)
        #expect(cut.stderr.hasPrefix("tidewater: not a valid Tidewater backup"), "\(cut.stderr)")
        #expect(cut.stderr.split(separator: "\n").count == 1, "one line: \(cut.stderr)")

        let noData = try await runTidewater(["backup", "--data", folder.appendingPathComponent("nothing").path, "--to", archive.path])
        #expect(noData.status == 1)
        #expect(noData.stderr.contains("holds no Tidewater data"), "\(noData.stderr)")
    }
}

