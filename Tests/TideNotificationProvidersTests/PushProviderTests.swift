import Foundation
import Testing
import TideModel
import TideNotifications
import TideTestSupport

@testable import TideNotificationProviders

private func fcm(_ receivers: Receivers) throws -> FCMProvider {
    let account = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: receivers.string("serviceAccountFile")))))
    return try FCMProvider(
        settings: FCMSettings(
            baseURL: receivers.http, projectId: account["project_id"]!.stringValue!, clientEmail: account["client_email"]!.stringValue!,
            privateKeyPEM: Secret(account["private_key"]!.stringValue!), tokenURI: account["token_uri"]!.stringValue!),
        timeout: .seconds(3))
}

private func apns(_ receivers: Receivers, trustingTestCA: Bool = true) throws -> APNsProvider {
    try APNsProvider(
        settings: APNsSettings(
            baseURL: "https://localhost:\(receivers.port("h2tls"))", teamId: receivers.string("apnsTeamId"),
            keyId: receivers.string("apnsKeyId"),
            keyPEM: Secret(try String(contentsOfFile: receivers.string("apnsKeyFile"), encoding: .utf8)),
            topic: receivers.string("apnsTopic"), caFile: trustingTestCA ? receivers.string("caFile") : nil),
        timeout: .seconds(3))
}

extension ProviderTests {
    @Test func fcmSendsWithAnOAuthTokenFromTheJWTBearerGrant() async throws {
        try await withReceivers { receivers in
            let provider = try fcm(receivers)
            defer { Task { await provider.shutdown() } }
            let first = await provider.send(delivery(.push, to: "device-token-1", platform: .fcm))
            let second = await provider.send(delivery(.push, to: "device-token-2", platform: .fcm))
            #expect(first.providerMessageId?.hasPrefix("projects/tidewater-test/messages/") == true, "\(first)")
            #expect(second.isSent)
            // One token exchange serves both sends; its RS256 assertion verified with the public key.
            let tokens = try await receivers.records("token")
            #expect(tokens.count == 1)
            #expect(tokens.map(problems) == [[]])
            let sends = try await receivers.records("fcm")
            #expect(sends.map(problems) == [[], []])
            #expect(sends[0]["message"] == ["token": "device-token-1", "notification": ["title": "New comment", "body": "Hello from Tidewater"]])
        }
    }

    @Test func fcmAnswersAreClassified() async throws {
        try await withReceivers { receivers in
            let provider = try fcm(receivers)
            defer { Task { await provider.shutdown() } }
            let unregistered: JSONValue = [
                "error": ["code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
                          "details": [["@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"]]]
            ]
            try await receivers.script("fcm", [
                ["status": 404, "body": unregistered], ["status": 500], ["status": 429, "headers": ["retry-after": "3"]],
                ["status": 400, "body": ["error": ["code": 400, "status": "INVALID_ARGUMENT", "message": "Invalid JSON payload"]]],
                ["status": 401], ["hang": true],
            ])
            #expect(await provider.send(delivery(.push, to: "gone", platform: .fcm)).disablesEndpoint == true)
            #expect(await provider.send(delivery(.push, to: "t", platform: .fcm)).isTransient)
            #expect(await provider.send(delivery(.push, to: "t", platform: .fcm)).retryAfter == 3)
            #expect(await provider.send(delivery(.push, to: "t", platform: .fcm)).disablesEndpoint == false)
            // A refused access token is forgotten: the next send fetches a new one.
            #expect(await provider.send(delivery(.push, to: "t", platform: .fcm)).isTransient)
            #expect(await provider.send(delivery(.push, to: "t", platform: .fcm)).isUnknown)
            #expect(await provider.send(delivery(.push, to: "t", platform: .fcm)).isSent)
            #expect(try await receivers.records("token").count == 2)
        }
    }

    @Test func aRefusedServiceAccountIsPermanentButKeepsTheEndpoint() async throws {
        try await withReceivers { receivers in
            let provider = try fcm(receivers)
            defer { Task { await provider.shutdown() } }
            try await receivers.script("token", [["status": 400, "body": ["error": "invalid_grant"]]])
            let outcome = await provider.send(delivery(.push, to: "t", platform: .fcm))
            #expect(outcome.disablesEndpoint == false, "\(outcome)")
            #expect(try await receivers.records("fcm").isEmpty)
        }
    }

    @Test func apnsSendsOverHTTP2WithAnES256ProviderToken() async throws {
        try await withReceivers { receivers in
            let provider = try apns(receivers)
            defer { Task { await provider.shutdown() } }
            let first = await provider.send(delivery(.push, to: "abc123", platform: .apns, collapseId: "post-1"))
            let second = await provider.send(delivery(.push, to: "def456", platform: .apns))
            #expect(first.providerMessageId?.count == 36, "\(first)")
            #expect(second.isSent)
            let sends = try await receivers.records("apns")
            #expect(sends.map(problems) == [[], []])
            #expect(sends[0]["httpVersion"] == "2" && sends[0]["tls"] == true)
            #expect(sends[0]["deviceToken"] == "abc123")
            #expect(sends[0]["headers"]?["apns-collapse-id"] == "post-1" && sends[1]["headers"]?["apns-collapse-id"] == nil)
            #expect(sends[0]["payload"] == ["aps": ["alert": ["title": "New comment", "body": "Hello from Tidewater"]]])
            // The provider token is reused, not signed per request.
            #expect(sends[0]["headers"]?["authorization"] == sends[1]["headers"]?["authorization"])
        }
    }

    @Test func apnsAnswersAreClassified() async throws {
        try await withReceivers { receivers in
            let provider = try apns(receivers)
            defer { Task { await provider.shutdown() } }
            try await receivers.script("apns", [
                ["status": 410, "body": ["reason": "Unregistered"]], ["status": 400, "body": ["reason": "BadDeviceToken"]],
                ["status": 413, "body": ["reason": "PayloadTooLarge"]], ["status": 503, "body": ["reason": "ServiceUnavailable"]],
                ["status": 429, "body": ["reason": "TooManyRequests"], "headers": ["retry-after": "5"]],
                ["status": 403, "body": ["reason": "ExpiredProviderToken"]],
            ])
            #expect(await provider.send(delivery(.push, to: "a", platform: .apns)).disablesEndpoint == true)
            #expect(await provider.send(delivery(.push, to: "a", platform: .apns)).disablesEndpoint == true)
            #expect(await provider.send(delivery(.push, to: "a", platform: .apns)).disablesEndpoint == false)
            #expect(await provider.send(delivery(.push, to: "a", platform: .apns)).isTransient)
            #expect(await provider.send(delivery(.push, to: "a", platform: .apns)).retryAfter == 5)
            #expect(await provider.send(delivery(.push, to: "a", platform: .apns)).isTransient)
            #expect(await provider.send(delivery(.push, to: "a", platform: .apns)).isSent)
        }
    }

    @Test func apnsRefusesAServerItCannotVerify() async throws {
        try await withReceivers { receivers in
            let provider = try apns(receivers, trustingTestCA: false)
            defer { Task { await provider.shutdown() } }
            let outcome = await provider.send(delivery(.push, to: "a", platform: .apns))
            #expect(outcome.isTransient, "\(outcome)")
            #expect(try await receivers.records("apns").isEmpty)
        }
    }
}
