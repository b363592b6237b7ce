import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import TideNotifications

/// Email over SMTP (RFC 5321): one connection per message, EHLO, STARTTLS when configured
/// (required then: credentials never cross in the clear), AUTH PLAIN or LOGIN when a username
/// is set, MAIL/RCPT/DATA with a MIME message (``MIMEMessage``).
///
/// Outcomes: 2xx after the message is `sent` (its Message-ID is the provider id); a 4xx reply
/// or a connection lost before the end-of-data marker is transient; a 5xx to RCPT (no such
/// mailbox, bad address) is permanent and disables the endpoint, other 5xx are permanent; a
/// connection lost or timed out after the marker is `unknown` (the server may have accepted).
struct SMTPProvider: NotificationProvider {
    private let settings: SMTPSettings
    private let tls: NIOSSLContext?
    private let timeout: TimeAmount

    init(settings: SMTPSettings, timeout: TimeAmount = .seconds(20)) throws {
        self.settings = settings
        self.timeout = timeout
        if settings.starttls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let ca = settings.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            }
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
    }

    func send(_ delivery: Delivery) async -> DeliveryOutcome {
        let fromAddress = EmailAddress.mailbox(settings.from) ?? settings.from
        let domain = fromAddress.split(separator: "@").last.map(String.init) ?? "tidewater.localhost"
        let messageID = "<\(delivery.id)@\(domain)>"
        let message = MIMEMessage(
            from: settings.from, to: delivery.address, subject: delivery.message.title ?? "",
            text: delivery.message.body.isEmpty && delivery.message.html != nil ? nil : delivery.message.body,
            html: delivery.message.html, messageID: messageID, date: Date())
        var session = SMTPSession(settings: settings, tls: tls)
        do {
            try await session.run(
                timeout: timeout, from: fromAddress, to: delivery.address, data: MIMEMessage.dotStuffed(message.rendered()))
            return .sent(providerMessageId: messageID)
        } catch let failure as SMTPSession.Failure {
            return failure.outcome
        } catch {
            return .transient(reason: "SMTP: \(error)", retryAfter: nil)
        }
    }

    func shutdown() async {}
}

/// One SMTP conversation.
struct SMTPSession {
    let settings: SMTPSettings
    let tls: NIOSSLContext?
    /// Set once the end-of-data marker is written: from then on a lost answer is `unknown`.
    private(set) var messageWritten = false

    init(settings: SMTPSettings, tls: NIOSSLContext?) {
        self.settings = settings
        self.tls = tls
    }

    struct Failure: Error {
        var outcome: DeliveryOutcome
    }

    private enum Step: String {
        case greeting, ehlo, starttls, auth, mail = "MAIL FROM", rcpt = "RCPT TO", data = "DATA", message = "end of data"
    }

    mutating func run(timeout: TimeAmount, from: String, to: String, data: [UInt8]) async throws {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: settings.host, port: settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw Failure(outcome: .transient(reason: "SMTP: cannot connect to \(settings.host):\(settings.port): \(error)", retryAfter: nil))
        }
        // The whole conversation is bounded: closing the channel ends a read that waits.
        let deadline = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
        defer { deadline.cancel() }
        var session = self
        do {
            try await channel.executeThenClose { inbound, outbound in
                var conversation = Conversation(inbound: inbound.makeAsyncIterator(), outbound: outbound)
                try await session.converse(&conversation, channel: channel.channel, from: from, to: to, data: data)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(outcome: session.lost("\(error)"))
        }
        self = session
    }

    /// The outcome of a connection that ended without an answer.
    private func lost(_ reason: String) -> DeliveryOutcome {
        messageWritten
            ? .unknown(reason: "SMTP: no answer after the message was sent (\(reason))")
            : .transient(reason: "SMTP: connection lost (\(reason))", retryAfter: nil)
    }

    private mutating func converse(
        _ c: inout Conversation, channel: any Channel, from: String, to: String, data: [UInt8]
    ) async throws {
        try expect(try await c.reply(), at: .greeting)
        var features = try await ehlo(&c)
        if settings.starttls {
            guard let tls, features.contains("STARTTLS") else {
                throw Failure(outcome: .permanent(reason: "SMTP: the server does not offer STARTTLS", disableEndpoint: false))
            }
            try expect(try await c.command("STARTTLS"), at: .starttls)
            let hostname = settings.host.first?.isNumber == true || settings.host.contains(":") ? nil : settings.host
            let handler = try NIOSSLClientHandler(context: tls, serverHostname: hostname)
            try await channel.pipeline.addHandler(handler, position: .first).get()
            features = try await ehlo(&c)
        }
        if let username = settings.username, let password = settings.password?.value {
            try await authenticate(&c, features: features, username: username, password: password)
        }
        try expect(try await c.command("MAIL FROM:<\(from)>"), at: .mail)
        try expect(try await c.command("RCPT TO:<\(to)>"), at: .rcpt)
        let go = try await c.command("DATA")
        guard go.code == 354 else { try expect(go, at: .data); return }
        try await c.write(data)
        messageWritten = true
        try expect(try await c.reply(), at: .message)
        // The message is accepted; a QUIT that goes wrong changes nothing.
        _ = try? await c.command("QUIT")
    }

    private func ehlo(_ c: inout Conversation) async throws -> [String] {
        let reply = try await c.command("EHLO \(settings.heloName)")
        try expect(reply, at: .ehlo)
        return reply.extensions
    }

    private func authenticate(_ c: inout Conversation, features: [String], username: String, password: String) async throws {
        let mechanisms = features.first { $0.hasPrefix("AUTH ") || $0.hasPrefix("AUTH=") }?
            .dropFirst(5).split(separator: " ").map(String.init) ?? []
        if mechanisms.contains("PLAIN") {
            let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            try expect(try await c.command("AUTH PLAIN \(token)"), at: .auth)
        } else if mechanisms.contains("LOGIN") {
            guard try await c.command("AUTH LOGIN").code == 334, try await c.command(Data(username.utf8).base64EncodedString()).code == 334
            else { throw Failure(outcome: .permanent(reason: "SMTP: AUTH LOGIN was refused", disableEndpoint: false)) }
            try expect(try await c.command(Data(password.utf8).base64EncodedString()), at: .auth)
        } else {
            throw Failure(outcome: .permanent(
                reason: "SMTP: the server offers no AUTH PLAIN or LOGIN (\(mechanisms.joined(separator: " ")))", disableEndpoint: false))
        }
    }

    private func expect(_ reply: SMTPReply, at step: Step) throws {
        guard !reply.isPositive else { return }
        let reason = "SMTP \(step.rawValue): \(reply.text)"
        if reply.isTransientFailure { throw Failure(outcome: .transient(reason: reason, retryAfter: nil)) }
        // 550 no such mailbox, 551 not local, 553 bad mailbox name, 501 bad address syntax.
        let addressRefused = step == .rcpt && [501, 550, 551, 553].contains(reply.code)
        throw Failure(outcome: .permanent(reason: reason, disableEndpoint: addressRefused))
    }
}

/// Reads replies and writes commands on one connection.
struct Conversation {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var reader = SMTPReplyReader()
    var ready: [SMTPReply] = []

    mutating func reply() async throws -> SMTPReply {
        while ready.isEmpty {
            guard let buffer = try await inbound.next() else { throw SMTPProtocolError("the server closed the connection") }
            ready += try reader.consume(buffer.readableBytesView)
        }
        return ready.removeFirst()
    }

    mutating func command(_ line: String) async throws -> SMTPReply {
        try await write(Array((line + "\r\n").utf8))
        return try await reply()
    }

    func write(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }
}
