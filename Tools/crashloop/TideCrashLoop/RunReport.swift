import Synchronization

/// The run's counters and problems, shared by its concurrent parts.
final class RunReport: Sendable {
    private struct State {
        var acknowledged = 0
        var rejected = 0
        var verified = 0
        var lost = 0
        var eventsChecked = 0
        var problems: [String] = []
    }

    private let state = Mutex(State())

    func acknowledged() { state.withLock { $0.acknowledged += 1 } }
    func rejected() { state.withLock { $0.rejected += 1 } }
    func problem(_ text: String) { state.withLock { $0.problems.append(text) } }
    func add(_ check: Ledger.Check) {
        state.withLock {
            $0.verified += check.verified
            $0.lost += check.lost
            $0.problems += check.problems
        }
    }
    func eventsChecked(_ count: Int) { state.withLock { $0.eventsChecked += count } }
    var problemCount: Int { state.withLock { $0.problems.count } }

    func summary(seed: UInt64, iterations: Int, dataDirectory: String?) -> CrashLoopSummary {
        state.withLock {
            CrashLoopSummary(
                seed: seed, iterations: iterations, acknowledged: $0.acknowledged, verified: $0.verified, lost: $0.lost,
                rejected: $0.rejected, eventsChecked: $0.eventsChecked, problems: $0.problems, dataDirectory: dataDirectory)
        }
    }
}

/// What a crash loop found.
public struct CrashLoopSummary: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var iterations: Int
    /// Writes answered with success.
    public var acknowledged: Int
    /// Acknowledged writes found at their version after the restart that followed them.
    public var verified: Int
    /// Acknowledged writes missing (or at an older version) after a restart: must be 0.
    public var lost: Int
    /// Stale OPTIMISTIC_CONCURRENCY updates refused with ConflictUnhandled, as they should be.
    public var rejected: Int
    /// Subscription events checked against the acknowledged writes after resumes.
    public var eventsChecked: Int
    /// Everything that went wrong, each a line.
    public var problems: [String]
    /// The data folder, kept when the run failed.
    public var dataDirectory: String?

    public var passed: Bool { lost == 0 && problems.isEmpty }

    public var description: String {
        var lines = [
            "crash loop seed \(seed): \(iterations) iterations, \(acknowledged) writes acknowledged, \(verified) verified, \(lost) lost, "
                + "\(rejected) stale updates refused, \(eventsChecked) subscription events checked: \(passed ? "PASSED" : "FAILED")"
        ]
        if !passed {
            lines.append("replay with --seed \(seed); \(problems.count) problems:")
            lines += problems.prefix(50).map { "  " + $0 }
            if problems.count > 50 { lines.append("  … and \(problems.count - 50) more") }
            if let dataDirectory { lines.append("data folder kept at \(dataDirectory)") }
        }
        return lines.joined(separator: "\n")
    }
}
