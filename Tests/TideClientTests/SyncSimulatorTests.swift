import Testing
import TideSim

/// The sync simulator (Tools/sim) at a short budget: three seeds of `tide` clients against a
/// real server through offline/online, concurrent edits of both conflict strategies, deletes,
/// SIGKILLed syncs and watches and server restarts, each checked for convergence, lost writes
/// and wedged outboxes. The seeds are drawn per run and printed with the replay command.
@Suite struct SyncSimulatorTests {
    @Test func theScheduleIsAFunctionOfTheSeed() {
        let schedule = Schedule(seed: 42, clients: 4, steps: 300)
        #expect(schedule == Schedule(seed: 42, clients: 4, steps: 300))
        #expect(schedule.steps != Schedule(seed: 43, clients: 4, steps: 300).steps)
        #expect(Array(schedule.steps.prefix(100)) == Schedule(seed: 42, clients: 4, steps: 100).steps, "a shorter run is a prefix")
        // A long schedule has every kind of step, and both models written by several devices of one user.
        var kinds = Set<String>()
        var writers: [String: Set<Int>] = [:]
        for step in schedule.steps {
            switch step {
            case .create(let client, let model, let id, _), .update(let client, let model, let id, _):
                kinds.insert(String(describing: step).split(separator: " ")[1] + " " + model.rawValue)
                writers[id, default: []].insert(client)
            case .createShared(let client, _, let id, _):
                kinds.insert("shared")
                writers[id, default: []].insert(client)
            case .delete: kinds.insert("delete")
            case .offline: kinds.insert("offline")
            case .online: kinds.insert("online")
            case .sync: kinds.insert("sync")
            case .startWatch: kinds.insert("watch")
            case .stopWatch: kinds.insert("stop")
            case .killWatch: kinds.insert("kill watch")
            case .killSync: kinds.insert("kill sync")
            case .restartServer: kinds.insert("restart")
            }
        }
        #expect(kinds.count == 14, "\(kinds.sorted())")
        #expect(writers.values.contains { $0.count > 1 }, "some record is written by two devices")
    }

    @Test func shortSeedsConvergeAndLoseNothing() async throws {
        let first = UInt64.random(in: 1...1_000_000)
        for seed in first..<first + 3 {
            let result = await Simulator.run(SimOptions(seed: seed, clients: 3, steps: 16, settleTimeout: .seconds(60)))
            print(result)
            #expect(
                result.passed,
                "\(result)\n\(result.problems.joined(separator: "\n"))\nreplay: .build/debug/tide-sim --seed \(seed) --clients 3 --steps 16")
            #expect(result.creates > 0, "the schedule wrote something")
        }
    }
}
