import Testing
import TideModel

@Suite struct ScalarCoercionTests {
    func ok(_ value: JSONValue, _ scalar: Scalar) -> Bool {
        if case .success = ScalarCoercion.coerce(value, as: scalar) { true } else { false }
    }

    @Test func builtIns() {
        #expect(ok(3, .int))
        #expect(!ok(3.5, .int))
        #expect(!ok(.int(Int64(Int32.max) + 1), .int))
        #expect(!ok("3", .int))
        #expect(ok(3, .float))
        #expect(ScalarCoercion.coerce(3, as: .float) == .success(.double(3)))
        #expect(ScalarCoercion.coerce(7, as: .id) == .success("7"))
        #expect(!ok(true, .string))
        #expect(!ok("true", .boolean))
    }

    @Test(arguments: [
        ("2026-11-29T02:46:40.123Z", true), ("2026-11-29T02:46:40Z", true), ("2026-11-29T02:46:40+05:30", true),
        ("2026-11-29T02:46Z", true), ("2026-11-29T02:46:40", false), ("2026-02-30T00:00:00Z", false),
        ("2024-02-29T00:00:00Z", true), ("2026-11-29 02:46:40Z", false), ("tomorrow", false), ("2026-11-29T24:00:00Z", false),
    ])
    func dateTimes(_ text: String, _ valid: Bool) {
        #expect(ok(.string(text), .awsDateTime) == valid, "\(text)")
    }

    @Test func otherAWSScalars() {
        #expect(ok("2026-11-29", .awsDate))
        #expect(!ok("2026-11-31", .awsDate))
        #expect(ok("12:30:00.5", .awsTime))
        #expect(!ok("25:00", .awsTime))
        #expect(ok(1_700_000_000, .awsTimestamp))
        #expect(!ok("1700000000", .awsTimestamp))
        #expect(ok("someone@example.com", .awsEmail))
        #expect(!ok("someone@", .awsEmail))
        #expect(!ok("no at sign", .awsEmail))
        #expect(ok("+1 555 123 4567", .awsPhone))
        #expect(!ok("call me", .awsPhone))
        #expect(ok("https://example.com/a", .awsURL))
        #expect(!ok("example dot com", .awsURL))
        #expect(ok("192.168.0.1", .awsIPAddress))
        #expect(ok("2001:db8::1/64", .awsIPAddress))
        #expect(!ok("300.1.1.1", .awsIPAddress))
        #expect(ok(#"{"a":1}"#, .awsJSON))
        #expect(!ok("{a:1}", .awsJSON))
        #expect(!ok(["a": 1], .awsJSON))
    }
}
