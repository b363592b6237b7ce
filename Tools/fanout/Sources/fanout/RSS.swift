import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Resident set size of a process, in KiB, from /proc/PID/status (VmRSS).
func residentKiB(pid: Int32) -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }
    return nil
}

/// CPU seconds (user + system) a process has used, from /proc/PID/stat (fields 14 and 15, in
/// clock ticks).
func cpuSeconds(pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = text.lastIndex(of: ")")  // the command name may hold spaces
    else { return nil }
    let fields = text[text.index(after: end)...].split(separator: " ")
    // fields[0] is the state (field 3), so utime (14) and stime (15) are fields[11] and [12].
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
