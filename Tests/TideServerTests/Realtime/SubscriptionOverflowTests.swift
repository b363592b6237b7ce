import Foundation
import Testing
import TideModel
import TideTestSupport

/// A subscriber that stops reading is closed (4413) once it falls `queueCapacity` entries
/// behind; the others keep receiving everything.
@Suite struct SubscriptionOverflowTests {
    @Test func aStalledSubscriberIsClosedAndTheOthersKeepUp() async throws {
        try await withServer(extraArguments: ["--ws-queue-capacity", "4"]) { server, client in
            let query = "subscription { onCreateNote { title } }"
            // The stalled client reads nothing, not even its ack, until told to.
            let stalled = try await GraphQLSocket.connect(server, reading: false)
            try await stalled.send(["type": "connection_init", "payload": .object(client.credentials.mapValues(JSONValue.string))])
            try await stalled.subscribe("s", query)
            let healthy = try await GraphQLSocket.connect(server)
            try await healthy.initialize(client.credentials)
            try await healthy.subscribe("s", query)
            let ready = ContinuousClock.now + .seconds(10)
            while try await server.metric("tidewater_realtime_subscriptions") < 2, ContinuousClock.now < ready {
                try await Task.sleep(for: .milliseconds(20))
            }

            // Large events fill the stalled socket's buffers, so its connection stops taking entries.
            let big = String(repeating: "x", count: 256 * 1024)
            let count = 48
            for i in 0..<count {
                _ = try await client.data(
                    "mutation C($t: String!) { createNote(input: {title: $t}) { id } }", variables: ["t": .string("\(i)-\(big)")])
            }
            var titles: [String] = []
            while titles.count < count {
                let payload = try await healthy.nextEvent("s", timeout: .seconds(20))
                titles.append(payload["data"]?["onCreateNote"]?["title"]?.stringValue ?? "")
            }
            #expect(titles.map { $0.prefix { $0 != "-" } } == (0..<count).map { Substring("\($0)") })

            let deadline = ContinuousClock.now + .seconds(10)
            while try await server.metric("tidewater_realtime_overflow_closes_total") < 1, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await server.metric("tidewater_realtime_overflow_closes_total") == 1)
            stalled.startReading()
            #expect(try await stalled.closeCode(timeout: .seconds(20)) == 4413)
            await healthy.close()
        }
    }
}
