import Foundation

/// A request budget: `requests` per `seconds`, refilled continuously, with bursts up to
/// `requests` (a token bucket). Written `20/min`, `100/s`, `1000/h`.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    public var requests: Int
    public var seconds: Double

    public init(requests: Int, seconds: Double) {
        self.requests = requests
        self.seconds = seconds
    }

    /// Parses `N/s`, `N/min` or `N/h` (also `N/second`, `N/minute`, `N/hour`); nil otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let requests = Int(parts[0].trimmingCharacters(in: .whitespaces)), requests > 0 else {
            return nil
        }
        let units: [String: Double] = ["s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600]
        guard let seconds = units[parts[1].trimmingCharacters(in: .whitespaces).lowercased()] else { return nil }
        self.init(requests: requests, seconds: seconds)
    }

    public var description: String {
        switch seconds {
        case 1: "\(requests)/s"
        case 60: "\(requests)/min"
        case 3600: "\(requests)/h"
        default: "\(requests)/\(seconds)s"
        }
    }
}
