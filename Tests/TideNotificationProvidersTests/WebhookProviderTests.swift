import Foundation
import Testing
import TideModel
import TideNotifications
import TideTestSupport

@testable import TideNotificationProviders

private func webhook(_ receivers: Receivers) throws -> WebhookProvider {
    try WebhookProvider(
        settings: WebhookSettings(secret: Secret(receivers.string("webhookSecret")), allow: [receivers.http]), timeout: .seconds(3))
}

extension ProviderTests {
    @Test func aWebhookIsSignedAndCarriesItsDeliveryId() async throws {
        try await withReceivers { receivers in
            let provider = try webhook(receivers)
            defer { Task { await provider.shutdown() } }
            let body = #"{"op":"create","model":"Comment","seq":7}"#
            let outcome = await provider.send(
                delivery(.webhook, to: receivers.http + "/hooks/a", id: "d-1", message: RenderedMessage(body: body)))
            #expect(outcome.isSent)
            let record = try #require(try await receivers.records("webhook").first)
            #expect(problems(record) == [])
            #expect(record["delivery"] == "d-1")
            #expect(record["body"]?.stringValue == body)
        }
    }

    @Test func webhookAnswersAreClassified() async throws {
        try await withReceivers { receivers in
            let provider = try webhook(receivers)
            defer { Task { await provider.shutdown() } }
            try await receivers.script("webhook", [
                ["status": 503], ["status": 429, "headers": ["retry-after": "7"]], ["status": 410], ["status": 400], ["hang": true],
            ])
            let url = receivers.http + "/hooks/b"
            let unavailable = await provider.send(delivery(.webhook, to: url))
            #expect(unavailable.isTransient && unavailable.retryAfter == nil)
            #expect(await provider.send(delivery(.webhook, to: url)).retryAfter == 7)
            #expect(await provider.send(delivery(.webhook, to: url)).disablesEndpoint == true)
            #expect(await provider.send(delivery(.webhook, to: url)).disablesEndpoint == false)
            // The request went out and no answer came: the receiver has it, the outcome is unknown.
            #expect(await provider.send(delivery(.webhook, to: url)).isUnknown)
            #expect(try await receivers.records("webhook").count == 5)
        }
    }

    @Test func aRefusedConnectionIsTransient() async throws {
        let provider = try WebhookProvider(settings: WebhookSettings(secret: Secret("s"), allow: []), timeout: .seconds(3))
        defer { Task { await provider.shutdown() } }
        // Port 9 (discard) is closed on the loopback interface of a test machine.
        let outcome = await provider.send(delivery(.webhook, to: "http://127.0.0.1:9/hooks"))
        #expect(outcome.isTransient, "\(outcome)")
    }

    @Test func theSignatureIsHMACSHA256OfTimestampDotBody() {
        let signature = WebhookProvider.signature(secret: .init(data: Data("whsec".utf8)), timestamp: 1_700_000_000, body: Array("{}".utf8))
        // Independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec
        #expect(signature == "t=1700000000,v1=7d44587dddbaf4c7f70fef20f48cd594834ffea1641e3ac227b84408298738af")
    }
}
