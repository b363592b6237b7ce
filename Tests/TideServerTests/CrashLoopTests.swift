import Testing
import TideCrashLoop

/// The crash loop (Tools/crashloop) at a short budget: writers of two users on both conflict
/// strategies, SIGKILL at seeded random moments, and after each restart every acknowledged
/// write, the feed, a base sync, integrity and resumed subscriptions checked.
@Suite struct CrashLoopTests {
    @Test func nothingAcknowledgedIsLostAcrossRepeatedSIGKILLs() async throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        let summary = try await CrashLoop.run(CrashLoopOptions(iterations: 3, seed: seed, maxLoad: .milliseconds(1500)))
        print(summary)
        #expect(summary.passed, "\(summary)")
        #expect(summary.lost == 0)
        // The loop must have had something to check.
        #expect(summary.acknowledged > 0 && summary.verified == summary.acknowledged, "\(summary)")
        #expect(summary.eventsChecked > 0)
    }
}
