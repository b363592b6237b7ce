import Foundation
import TideModel

/// What one run measured, and the targets it is held against (Tools/client-bench/README.md).
struct Figures {
    struct Drain {
        var queueSeconds: Double
        var drainSeconds: Double
    }

    var records: Int
    var writes: Int
    var queries: Int
    var server: String
    var startedServer: Bool
    /// `--encrypted`: every task carries an end-to-end encrypted, blind-indexed assignee.
    var encrypted = false
    var seedSeconds = 0.0
    /// The client process's report (``ClientProcess``).
    var catchUp: JSONValue = [:]
    var drain = Drain(queueSeconds: 0, drainSeconds: 0)
    var referenceSeconds = 0.0

    static let build: String = {
        #if DEBUG
        "debug"
        #else
        "release"
        #endif
    }()

    private func number(_ key: String) -> Double { catchUp[key]?.numberValue ?? 0 }

    var catchUpRate: Double { number("received") / max(number("catchUpSeconds"), 1e-9) }
    var peakRSSMiB: Double { number("peakRSSBytes") / 1_048_576 }
    var drainRate: Double { Double(writes) / max(drain.drainSeconds, 1e-9) }
    var referenceRate: Double { Double(writes) / max(referenceSeconds, 1e-9) }
    var drainShare: Double { drainRate / max(referenceRate, 1e-9) }
    var queryP50Millis: Double { number("queryP50Seconds") * 1000 }
    var queryP99Millis: Double { number("queryP99Seconds") * 1000 }

    var catchUpMet: Bool { catchUpRate >= 50_000 }
    var memoryMet: Bool { peakRSSMiB < 100 }
    var drainMet: Bool { drainShare >= 0.5 }
    var queryMet: Bool { queryP99Millis < 5 }

    var json: JSONValue {
        [
            "build": .string(Self.build), "server": .string(server), "startedServer": .bool(startedServer), "encrypted": .bool(encrypted),
            "records": .int(Int64(records)), "writes": .int(Int64(writes)), "queries": .int(Int64(queries)),
            "catchUp": [
                "recordsPerSecond": .double(catchUpRate.rounded()), "seconds": .double(number("catchUpSeconds")),
                "received": .int(Int64(number("received"))), "peakRSSMiB": .double(peakRSSMiB),
                "rssBeforeMiB": .double(number("rssBeforeBytes") / 1_048_576),
            ],
            "drain": [
                "writesPerSecond": .double(drainRate.rounded()), "seconds": .double(drain.drainSeconds),
                "referenceWritesPerSecond": .double(referenceRate.rounded()), "shareOfReference": .double(drainShare),
                "offlineQueueWritesPerSecond": .double((Double(writes) / max(drain.queueSeconds, 1e-9)).rounded()),
            ],
            "query": [
                "p50Millis": .double(queryP50Millis), "p99Millis": .double(queryP99Millis), "meanRows": .double(number("queryMeanRows")),
            ],
            "seedSeconds": .double(seedSeconds),
            "targetsMet": [
                "catchUp": .bool(catchUpMet), "memory": .bool(memoryMet), "drain": .bool(drainMet), "query": .bool(queryMet),
            ],
        ]
    }

    var table: String {
        func count(_ value: Double) -> String { Self.grouped(Int(value.rounded())) }
        func verdict(_ met: Bool) -> String { met ? "met" : "NOT met" }
        let rows: [[String]] = [
            ["figure", "measured", "target", ""],
            ["catch-up: a fresh client base-syncs \(Self.grouped(records)) tasks", "\(count(catchUpRate)) records/s", "≥ 50,000/s", verdict(catchUpMet)],
            ["client peak RSS during the catch-up", String(format: "%.1f MiB", peakRSSMiB), "< 100 MiB", verdict(memoryMet)],
            ["drain: \(Self.grouped(writes)) offline writes sent and acknowledged", "\(count(drainRate)) writes/s",
             "≥ 50 % of the next", "\(verdict(drainMet)) (\(Int((drainShare * 100).rounded())) %)"],
            ["  server createTask, \(Run.referenceConnections) connections (reference)", "\(count(referenceRate)) writes/s", "", ""],
            [String(format: "local query, status + priority eq (%.0f rows)", number("queryMeanRows")),
             String(format: "p50 %.2f ms, p99 %.2f ms", queryP50Millis, queryP99Millis), "p99 < 5 ms", verdict(queryMet)],
        ]
        var widths = [0, 0, 0]
        for row in rows { for column in 0..<3 { widths[column] = max(widths[column], row[column].count) } }
        let lines = rows.map { row in
            let line = (0..<3).map { row[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3]
            return String(line.reversed().drop { $0 == " " }.reversed())
        }
        let header = "tide-client-bench (\(Self.build) build): server \(server)"
            + (startedServer ? " (started for the run, durability full)" : "")
            + (encrypted ? "; every task with an end-to-end encrypted, blind-indexed assigneeEmail" : "")
        let footer = String(format: "not figures: seeding the tasks took %.1f s; queuing the offline writes took %.1f s", seedSeconds, drain.queueSeconds)
            + " (\(count(Double(writes) / max(drain.queueSeconds, 1e-9))) writes/s)"
        return ([header, ""] + lines + ["", footer]).joined(separator: "\n")
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (offset, digit) in digits.reversed().enumerated() {
            if offset > 0, offset % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return String(out.reversed())
    }
}
