import Foundation
import Testing
import TideModel
import TideNotifications
import TideTestSupport

@testable import TideNotificationProviders

private func smtp(_ receivers: Receivers, starttls: Bool, port: String, timeout: Int64 = 5) throws -> SMTPProvider {
    try SMTPProvider(
        settings: SMTPSettings(
            host: "127.0.0.1", port: receivers.port(port), from: "Tidewater <noreply@example.com>", starttls: starttls,
            username: receivers.string("smtpUsername"), password: Secret(receivers.string("smtpPassword")),
            caFile: starttls ? receivers.string("caFile") : nil),
        timeout: .seconds(timeout))
}

/// A decoded part's text with the wire's CRLF line ends as "\n".
private func lines(_ value: JSONValue?) -> String? {
    value?.stringValue?.replacingOccurrences(of: "\r\n", with: "\n")
}

private let email = RenderedMessage(
    title: "Neuer Kommentar zu „Hallo“",
    body: "Line one\n.a line that starts with a dot\n..two dots\n" + String(repeating: "long ", count: 40),
    html: "<p>Tom &amp; Jerry</p>")

extension ProviderTests {
    @Test func emailIsMultipartAlternativeWithProperHeaders() async throws {
        try await withReceivers { receivers in
            let provider = try smtp(receivers, starttls: false, port: "smtp")
            let outcome = await provider.send(delivery(.email, to: "owner@example.com", id: "d-42", message: email))
            #expect(outcome.providerMessageId == "<d-42@example.com>", "\(outcome)")
            let record = try #require(try await receivers.records("smtp").first)
            #expect(problems(record) == [])
            #expect(record["mailFrom"] == "noreply@example.com" && record["rcptTos"] == ["owner@example.com"])
            #expect(record["login"] == "app" && record["tls"] == false)
            #expect(record["messageId"] == "<d-42@example.com>")
            #expect(record["contentType"] == "multipart/alternative")
            #expect(record["subject"]?.stringValue == email.title)
            // Dot-stuffing and quoted-printable undone by the server and Python's email parser.
            #expect(lines(record["text"]) == email.body + "\n")
            #expect(lines(record["html"]) == email.html! + "\n")
        }
    }

    @Test func starttlsThenAuthLogin() async throws {
        try await withReceivers { receivers in
            let provider = try smtp(receivers, starttls: true, port: "smtpStarttls")
            let outcome = await provider.send(delivery(.email, to: "owner@example.com", message: RenderedMessage(title: "Hi", body: "text only")))
            #expect(outcome.isSent, "\(outcome)")
            let record = try #require(try await receivers.records("smtp").first)
            #expect(record["tls"] == true && record["login"] == "app" && record["server"] == "starttls")
            #expect(record["contentType"] == "text/plain" && lines(record["text"]) == "text only\n")
        }
    }

    @Test func starttlsIsRequiredWhenConfigured() async throws {
        try await withReceivers { receivers in
            // The plain server does not offer STARTTLS: no credentials are sent in the clear.
            let provider = try smtp(receivers, starttls: true, port: "smtp")
            let outcome = await provider.send(delivery(.email, to: "owner@example.com"))
            #expect(outcome.disablesEndpoint == false, "\(outcome)")
            #expect(try await receivers.records("smtp").isEmpty)
        }
    }

    @Test func smtpRepliesAreClassified() async throws {
        try await withReceivers { receivers in
            let provider = try smtp(receivers, starttls: false, port: "smtp", timeout: 3)
            try await receivers.script("smtp-rcpt", [["code": 550, "text": "5.1.1 no such user"], ["code": 451, "text": "4.3.0 try later"]])
            #expect(await provider.send(delivery(.email, to: "nobody@example.com")).disablesEndpoint == true)
            #expect(await provider.send(delivery(.email, to: "owner@example.com")).isTransient)
            try await receivers.script("smtp-data", [["code": 452, "text": "4.3.1 full"], ["code": 554, "text": "5.7.1 rejected"], ["hang": true]])
            #expect(await provider.send(delivery(.email, to: "owner@example.com")).isTransient)
            #expect(await provider.send(delivery(.email, to: "owner@example.com")).disablesEndpoint == false)
            // The server has the message and never answers: unknown, not retried.
            #expect(await provider.send(delivery(.email, to: "owner@example.com")).isUnknown)
            #expect(try await receivers.records("smtp").count == 3)
        }
    }

    @Test func aWrongPasswordIsPermanent() async throws {
        try await withReceivers { receivers in
            let provider = try SMTPProvider(
                settings: SMTPSettings(
                    host: "127.0.0.1", port: receivers.port("smtp"), from: "noreply@example.com", username: "app", password: Secret("wrong")),
                timeout: .seconds(5))
            let outcome = await provider.send(delivery(.email, to: "owner@example.com"))
            #expect(outcome.disablesEndpoint == false, "\(outcome)")
        }
    }
}
