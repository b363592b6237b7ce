/// At most `count` notifications per recipient and rule within `period` seconds (`10/h`); past
/// it a delivery is deferred until the window has room, not dropped.
public struct RateCap: Sendable, Hashable, CustomStringConvertible {
    public var count: Int
    public var period: Int64

    public init(count: Int, period: Int64) {
        self.count = count
        self.period = period
    }

    /// Units of the rules file: `s`, `m`, `h`, `d`, `w`.
    static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

    /// Parses `N/unit` (`10/h`, `100/d`).
    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Int(parts[0].trimmingWhitespace), count > 0,
            let unit = parts[1].trimmingWhitespace.first, parts[1].trimmingWhitespace.count == 1,
            let seconds = Self.units[unit]
        else { return nil }
        self.init(count: count, period: seconds)
    }

    /// When the next delivery may go, given the send times (epoch seconds) of earlier ones to the
    /// same recipient under the same rule: `now` while the window has room, else when its oldest
    /// entry leaves it.
    public func nextAllowed(now: Int64, previousSends: [Int64]) -> Int64 {
        let inWindow = previousSends.filter { $0 > now - period }.sorted()
        guard inWindow.count >= count else { return now }
        return inWindow[inWindow.count - count] + period
    }

    public var description: String {
        let unit = Self.units.first { $0.value == period }.map { String($0.key) } ?? "\(period)s"
        return "\(count)/\(unit)"
    }
}

extension Substring {
    var trimmingWhitespace: Substring {
        var s = self
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return s
    }
}
