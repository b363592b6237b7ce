import Foundation
import Synchronization
import TideCrypto
import TideIdentity
import TideModel

/// A clock the test moves by hand, for token lifetimes and expiries.
final class TestClock: Sendable {
    private let date = Mutex(Date(timeIntervalSince1970: 1_800_000_000))

    func now() -> Date { date.withLock { $0 } }

    func advance(seconds: TimeInterval) {
        date.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A fresh data folder with an identity service over it (fast test hashing limits, a
/// hand-moved clock), removed afterwards.
struct IdentityFixture {
    let directory: String
    let clock = TestClock()

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidewater-identity-\(UUID().uuidString)").path
    }

    func configuration(_ adjust: (inout IdentityConfiguration) -> Void = { _ in }) -> IdentityConfiguration {
        var configuration = IdentityConfiguration()
        configuration.passwordHasher = .forTesting
        let clock = clock
        configuration.now = { clock.now() }
        adjust(&configuration)
        return configuration
    }

    /// A service over the folder; several may be open at once, like the server and the CLI.
    func service(_ adjust: (inout IdentityConfiguration) -> Void = { _ in }) throws -> IdentityService {
        try IdentityService(dataDirectory: directory, configuration: configuration(adjust))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a fixture and always removes its folder.
func withIdentity<T>(_ body: (IdentityFixture) async throws -> T) async throws -> T {
    let fixture = IdentityFixture()
    defer { fixture.remove() }
    return try await body(fixture)
}

/// The `kid` in an access token's header.
func kid(of token: String) -> String? {
    guard let header = token.split(separator: ".").first, let bytes = Base64URL.decode(String(header)) else { return nil }
    return (try? JSONParser.parse(bytes))?["kid"]?.stringValue
}
