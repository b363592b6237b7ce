import Testing
import TideModel
import TideNotifications
import TideTestSupport

@testable import TideNotificationProviders

extension ProviderTests {
    @Test func smsIsAFormPostWithBasicAuth() async throws {
        try await withReceivers { receivers in
            let provider = try TwilioProvider(
                settings: TwilioSettings(
                    baseURL: receivers.http, accountSid: receivers.string("twilioAccountSid"),
                    authToken: Secret(receivers.string("twilioAuthToken")), from: receivers.string("twilioFrom")),
                timeout: .seconds(3))
            defer { Task { await provider.shutdown() } }
            let message = RenderedMessage(body: "New comment: 50% off & more")
            let sent = await provider.send(delivery(.sms, to: "+15557654321", message: message))
            #expect(sent.providerMessageId?.hasPrefix("SM") == true, "\(sent)")
            let record = try #require(try await receivers.records("sms").first)
            #expect(problems(record) == [])
            #expect(record["form"] == ["To": "+15557654321", "From": "+15550001111", "Body": "New comment: 50% off & more"])

            try await receivers.script("sms", [
                ["status": 400, "body": ["code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400]],
                ["status": 400, "body": ["code": 21602, "message": "Message body is required.", "status": 400]],
                ["status": 500], ["status": 429, "headers": ["retry-after": "2"]],
            ])
            #expect(await provider.send(delivery(.sms, to: "+15550000000")).disablesEndpoint == true)
            #expect(await provider.send(delivery(.sms, to: "+15550000000")).disablesEndpoint == false)
            #expect(await provider.send(delivery(.sms, to: "+15550000000")).isTransient)
            #expect(await provider.send(delivery(.sms, to: "+15550000000")).retryAfter == 2)
        }
    }
}
