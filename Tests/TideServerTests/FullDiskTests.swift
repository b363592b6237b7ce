import Foundation
import Testing
import TideModel
import TideTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A full disk under the data folder (a 4 MiB tmpfs): writes fail with `STORAGE_FULL` and are
/// not saved, what was acknowledged stays, reads go on, and writes succeed again once space
/// returns, without a restart.
@Suite struct FullDiskTests {
    @Test(.enabled(if: SmallDisk.isPossible, "mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN)"))
    func writesFailClearlyOnAFullDiskAndRecoverWhenSpaceReturns() async throws {
        let disk = try SmallDisk(megabytes: 4)
        defer { disk.remove() }
        // Space to give back later: a file of our own on the small disk.
        let filler = disk.url.appendingPathComponent("filler")
        try Data(count: 1 << 20).write(to: filler)
        let data = disk.url.appendingPathComponent("data")

        let server = try await ServerProcess(dataDirectory: data)
        let client = GraphQLClient(server)
        let content = String(repeating: "0123456789abcdef", count: 2048)  // 32 KiB a post
        let create = "mutation C($input: CreatePostInput!) { createPost(input: $input) { id _version } }"

        // Four writers at once, so that a failing commit holds several writes.
        let outcomes = try await withThrowingTaskGroup(of: [(id: String, code: String?, message: String?)].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var outcomes: [(id: String, code: String?, message: String?)] = []
                    var failures = 0
                    for i in 0..<400 where failures < 3 {
                        let id = "full-\(worker)-\(i)"
                        let reply = try await client.post(
                            create, variables: ["input": ["id": .string(id), "title": "t", "status": "DRAFT", "content": .string(content)]])
                        let error = reply.json["errors"]?.arrayValue?.first
                        if error != nil {
                            failures += 1
                        } else if reply.json["data"]?["createPost"]?["_version"] != 1 {
                            throw TestFailure("create \(id): \(reply.status) \(reply.text.prefix(300))")
                        }
                        outcomes.append((id, error?["extensions"]?["code"]?.stringValue, error?["message"]?.stringValue))
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let saved = outcomes.filter { $0.code == nil }.map(\.id)
        let refused = outcomes.filter { $0.code != nil }
        #expect(!saved.isEmpty)
        #expect(refused.count == 12, "every writer ends on three refusals: \(refused.count)")
        for failure in refused {
            #expect(failure.code == "STORAGE_FULL", "\(failure)")
            #expect(failure.message?.contains("out of storage space") == true && failure.message?.contains("not saved") == true, "\(failure)")
        }

        // Reads go on while the disk is full.
        let read = try await client.data("query G($id: ID!) { getPost(id: $id) { id content } }", variables: ["id": .string(saved[0])])
        #expect(read["getPost"]?["content"]?.stringValue == content)
        let listed = try await client.data("{ listPosts(limit: 5) { items { id } } }")
        #expect(listed["listPosts"]?["items"]?.arrayValue?.count == 5)

        // Space returns: the next write succeeds on the same server.
        try FileManager.default.removeItem(at: filler)
        let after = try await client.data(create, variables: ["input": ["id": "after-full", "title": "t", "status": "DRAFT", "content": "small"]])
        #expect(after["createPost"]?["_version"] == 1)
        // The WAL checkpoint at stop and the next start need more room than the filler gave back.
        try disk.resize(megabytes: 16)
        let stopped = await server.stop()
        #expect(stopped == 0)

        // After a restart: everything acknowledged is there, nothing refused is.
        let restarted = try await ServerProcess(dataDirectory: data)
        let again = GraphQLClient(restarted)
        for id in saved + ["after-full"] {
            let data = try await again.data("query G($id: ID!) { getPost(id: $id) { _version } }", variables: ["id": .string(id)])
            #expect(data["getPost"]?["_version"] == 1, "acknowledged \(id) is missing")
        }
        for failure in refused {
            let data = try await again.data("query G($id: ID!) { getPost(id: $id) { _version } }", variables: ["id": .string(failure.id)])
            #expect(data["getPost"] == .null, "\(failure.id) was refused but saved")
        }
        await restarted.stop()
    }
}

/// A tmpfs of a few MiB mounted on a fresh folder (mount(2) needs root or CAP_SYS_ADMIN).
private struct SmallDisk {
    let url: URL

    init(megabytes: Int) throws {
        url = ServerProcess.temporaryDirectory()
        guard mount("tmpfs", url.path, "tmpfs", 0, "size=\(megabytes)m,mode=0700") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: url)
            throw TestFailure("mount -t tmpfs on \(url.path): \(reason)")
        }
    }

    /// Grows (or shrinks) the mounted filesystem in place.
    func resize(megabytes: Int) throws {
        guard mount("tmpfs", url.path, "tmpfs", UInt(MS_REMOUNT), "size=\(megabytes)m,mode=0700") == 0 else {
            throw TestFailure("remounting \(url.path) with \(megabytes) MiB: \(String(cString: strerror(errno)))")
        }
    }

    func remove() {
        umount2(url.path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(at: url)
    }

    /// Whether this process may mount a tmpfs at all.
    static let isPossible: Bool = {
        guard let disk = try? SmallDisk(megabytes: 1) else { return false }
        disk.remove()
        return true
    }()
}
