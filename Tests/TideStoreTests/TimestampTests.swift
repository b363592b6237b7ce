import Foundation
import Testing

@testable import TideStore

@Suite("Timestamps")
struct TimestampTests {
    @Test func iso8601MatchesFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SeededGenerator(state: 7)
        let fixed: [Int64] = [0, 999, 1000, 86_399_999, 951_782_400_000 /* 2000-02-29 */, 1_795_922_209_712, 4_102_444_799_999]
        let random = (0..<2000).map { _ in Int64.random(in: 0...4_102_444_799_999, using: &generator) }
        for ms in fixed + random {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(Timestamps.iso8601(milliseconds: ms) == expected, "\(ms)")
        }
        #expect(Timestamps.iso8601(milliseconds: 1_795_922_209_712) == "2026-11-29T03:16:49.712Z")
    }
}
