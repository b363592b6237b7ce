import Foundation
import Testing
import TideNotifications

@Test func rateCapsDeferPastTheWindowNotDrop() {
    let cap = RateCap(count: 2, period: 3600)
    #expect(cap.nextAllowed(now: 10_000, previousSends: []) == 10_000)
    #expect(cap.nextAllowed(now: 10_000, previousSends: [9_000]) == 10_000)
    // Two sends in the last hour: the next waits until the older one leaves the window.
    #expect(cap.nextAllowed(now: 10_000, previousSends: [9_000, 9_500]) == 9_000 + 3600)
    // Sends older than the window do not count.
    #expect(cap.nextAllowed(now: 10_000, previousSends: [1_000, 2_000, 9_500]) == 10_000)
    #expect(RateCap("10/h") == RateCap(count: 10, period: 3600))
    #expect(RateCap("5 / d") == RateCap(count: 5, period: 86_400))
    #expect(RateCap("0/h") == nil && RateCap("10/y") == nil && RateCap("ten/h") == nil)
}

@Test func quietHoursDeferToTheirEndInTheEndpointsZone() throws {
    let quiet = QuietHours(start: 22 * 60, end: 7 * 60)
    let berlin = try #require(TimeZone(identifier: "Europe/Berlin"))
    let formatter = ISO8601DateFormatter()
    // 21:30 UTC on 2026-01-10 is 22:30 in Berlin: quiet until 07:00 Berlin (06:00 UTC) next day.
    let late = try #require(formatter.date(from: "2026-01-10T21:30:00Z"))
    #expect(quiet.nextAllowed(after: late, in: berlin) == formatter.date(from: "2026-01-11T06:00:00Z"))
    // 05:00 UTC is 06:00 in Berlin: still quiet, until 07:00 Berlin the same day.
    let early = try #require(formatter.date(from: "2026-01-11T05:00:00Z"))
    #expect(quiet.nextAllowed(after: early, in: berlin) == formatter.date(from: "2026-01-11T06:00:00Z"))
    // Noon is not quiet; in UTC 21:30 is not quiet either.
    let noon = try #require(formatter.date(from: "2026-01-11T12:00:00Z"))
    #expect(quiet.nextAllowed(after: noon, in: berlin) == noon)
    #expect(quiet.nextAllowed(after: late, in: TimeZone(identifier: "UTC")!) == late)
    // A span within one day.
    let lunch = QuietHours(start: 12 * 60, end: 13 * 60)
    #expect(lunch.nextAllowed(after: noon, in: TimeZone(identifier: "UTC")!) == formatter.date(from: "2026-01-11T13:00:00Z"))
}

@Test func addressesAreValidated() {
    for good in ["+15550001111", "+4915112345678"] { #expect(PhoneNumber.isE164(good), "\(good)") }
    for bad in ["15550001111", "+0155500011", "+1555", "+1555000111122223", "+1 555 000 1111"] { #expect(!PhoneNumber.isE164(bad), "\(bad)") }
    for good in ["a@example.com", "first.last+tag@sub.example.org", "\"odd local\"@example.com", "x@[127.0.0.1]", "user@localhost"] {
        #expect(EmailAddress.isValid(good), "\(good)")
    }
    let longLocal = String(repeating: "a", count: 65) + "@example.com"
    for bad in ["no-at.example.com", "a@", "@example.com", "a..b@example.com", ".a@example.com", "a@-example.com", "a@exa mple.com", longLocal] {
        #expect(!EmailAddress.isValid(bad), "\(bad)")
    }
    #expect(EmailAddress.mailbox("App <noreply@example.com>") == "noreply@example.com")
}

@Test func endpointAddressesAreCheckedPerChannel() {
    let allow = ["https://hooks.example.com/"]
    func problem(_ channel: NotificationChannel, _ platform: PushPlatform?, _ address: String) -> String? {
        EndpointAddress.problem(channel: channel, platform: platform, address: address, webhookAllow: allow)
    }
    #expect(problem(.push, .apns, String(repeating: "ab", count: 32)) == nil)
    #expect(problem(.push, .apns, String(repeating: "a", count: 63)) != nil)
    #expect(problem(.push, .apns, String(repeating: "zz", count: 32)) != nil)
    #expect(problem(.push, .fcm, "dXk3:APA91b" + String(repeating: "x_y-", count: 35)) == nil)
    #expect(problem(.push, .fcm, "short") != nil)
    #expect(problem(.push, nil, "x") == "a PUSH endpoint needs a platform (APNS or FCM)")
    #expect(problem(.email, nil, "me@example.com") == nil)
    #expect(problem(.email, nil, "me@") != nil)
    #expect(problem(.email, .fcm, "me@example.com") == "platform applies to PUSH endpoints only")
    #expect(problem(.sms, nil, "+15550001111") == nil)
    #expect(problem(.sms, nil, "5550001111") != nil)
    #expect(problem(.webhook, nil, "https://hooks.example.com/me") == nil)
    #expect(problem(.webhook, nil, "http://169.254.169.254/latest/meta-data") == "a webhook URL must start with one of: https://hooks.example.com/")
    #expect(EndpointAddress.problem(channel: .webhook, platform: nil, address: "https://x", webhookAllow: []) != nil)
}
