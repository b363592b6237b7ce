import Foundation

/// A daily span of local time (in the endpoint's time zone) in which nothing is sent: a delivery
/// that falls in it is deferred to its end, not dropped. `22:00`–`07:00` wraps midnight.
public struct QuietHours: Sendable, Hashable {
    /// Minutes after local midnight.
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// Parses `HH:MM` into minutes after midnight.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2,
            let h = Int(parts[0]), let m = Int(parts[1]), (0..<24).contains(h), (0..<60).contains(m)
        else { return nil }
        return h * 60 + m
    }

    /// `date` itself when it is outside the quiet span in `timeZone`, else the end of the span.
    public func nextAllowed(after date: Date, in timeZone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let now = parts.hour! * 60 + parts.minute!
        let quiet = start < end ? (now >= start && now < end) : (now >= start || now < end)
        guard quiet else { return date }
        // The end's wall-clock time on the same day, or the next day when the span wraps and we
        // are before midnight.
        let dayOffset = (start > end && now >= start) ? 1 : 0
        let day = calendar.date(byAdding: .day, value: dayOffset, to: calendar.startOfDay(for: date))!
        return calendar.date(bySettingHour: end / 60, minute: end % 60, second: 0, of: day) ?? date
    }
}
