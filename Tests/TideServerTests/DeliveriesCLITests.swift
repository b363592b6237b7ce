import Foundation
import Testing
import TideModel
import TideNotifications
import TideTestSupport

/// `tidewater deliveries list|retry` and `tidewater endpoints list` on a data folder's ledger.
@Suite struct DeliveriesCLITests {
    @Test func listRetryAndEndpoints() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("deliveries-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: data) }
        do {
            let store = try NotificationStore(directory: data)
            defer { store.close() }
            let endpoint = try store.registerEndpoint(userId: "u1", channel: .sms, address: "+15550001111", platform: nil, timeZone: nil, now: 1_000)
            try store.enqueue([
                DeliveryRow(
                    id: "d1", seq: 3, rule: "comment-on-my-post", endpointId: endpoint.id, userId: "u1", channel: .sms,
                    progress: DeliveryProgress(state: .dead, attempts: 8, lastError: "gave up after 8 tries: SMS: HTTP 503"),
                    createdAt: 1_000, updatedAt: 2_000),
                DeliveryRow(id: "d2", seq: 4, rule: "other", endpointId: endpoint.id, userId: "u1", channel: .sms, createdAt: 1_000, updatedAt: 1_000),
            ])
        }

        let listed = try await runTidewater(["deliveries", "list", "--status", "dead", "--json", "--data", data])
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try JSONParser.parse(listed.stdout).arrayValue ?? []
        #expect(rows.map { $0["id"] } == ["d1"])
        #expect(rows.first?["lastError"] == "gave up after 8 tries: SMS: HTTP 503" && rows.first?["channel"] == "SMS")
        #expect(rows.first?["createdAt"] == "1970-01-01T00:00:01Z" && rows.first?["attempts"] == 8)
        let byRule = try await runTidewater(["deliveries", "list", "--rule", "other", "--json", "--data", data])
        #expect((try JSONParser.parse(byRule.stdout).arrayValue ?? []).map { $0["id"] } == ["d2"])

        let retried = try await runTidewater(["deliveries", "retry", "d1", "--data", data])
        #expect(retried.status == 0, "\(retried.stderr)")
        let pending = try await runTidewater(["deliveries", "list", "--status", "pending", "--json", "--data", data])
        #expect(Set((try JSONParser.parse(pending.stdout).arrayValue ?? []).compactMap { $0["id"]?.stringValue }) == ["d1", "d2"])

        let again = try await runTidewater(["deliveries", "retry", "d1", "--data", data])
        #expect(again.status == 1 && again.stderr == "tidewater: delivery d1 is pending; only dead or unknown deliveries can be retried\n")
        let missing = try await runTidewater(["deliveries", "retry", "nope", "--data", data])
        #expect(missing.status == 1 && missing.stderr == "tidewater: no delivery nope\n")
        let bad = try await runTidewater(["deliveries", "list", "--status", "lost", "--data", data])
        #expect(bad.status != 0 && !bad.stderr.isEmpty)

        let endpoints = try await runTidewater(["endpoints", "list", "--data", data])
        #expect(endpoints.status == 0 && endpoints.stdout.contains("\tu1\tSMS\t-\t+15550001111\t"), "\(endpoints.stdout)")
    }
}
