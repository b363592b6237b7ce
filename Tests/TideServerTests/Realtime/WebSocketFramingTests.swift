import Foundation
import NIOCore
import NIOWebSocket
import Testing
import TideModel
import TideTestSupport

@testable import TideServer

/// RFC 6455 framing under graphql-transport-ws: the frame rules on their own, then fragmented
/// messages and shutdown over a real socket.
@Suite struct WebSocketFramingTests {
    /// A client frame: masked, as RFC 6455 §5.1 requires.
    private func frame(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true, masked: Bool = true) -> WebSocketFrame {
        var data = ByteBuffer(bytes: bytes)
        let key: WebSocketMaskingKey? = masked ? WebSocketMaskingKey.random() : nil
        if let key { data.webSocketMask(key) }
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: key, data: data)
    }

    private func failureCode(_ action: WebSocketFraming.Action) -> Int? {
        if case .fail(let reason) = action { return reason.code }
        return nil
    }

    @Test func fragmentsMakeOneMessageAndACharacterMaySpanFrames() {
        var framing = WebSocketFraming(maxMessageBytes: 64)
        let text = Array("{\"type\":\"ping\",\"payload\":\"é\"}".utf8)
        let split = text.firstIndex(of: 0xC3)! + 1  // inside the two bytes of "é"
        guard case .none = framing.receive(frame(.text, Array(text[..<split]), fin: false)) else {
            Issue.record("a first fragment is not a message")
            return
        }
        guard case .message(let message) = framing.receive(frame(.continuation, Array(text[split...]))) else {
            Issue.record("the final fragment completes the message")
            return
        }
        #expect(Array(message.readableBytesView) == text)
    }

    @Test func protocolViolationsCloseWithTheirCodes() {
        var framing = WebSocketFraming(maxMessageBytes: 8)
        #expect(failureCode(framing.receive(frame(.text, Array("{}".utf8), masked: false))) == 1002)
        #expect(failureCode(framing.receive(frame(.continuation, Array("{}".utf8)))) == 1002)
        #expect(failureCode(framing.receive(frame(.binary, [1, 2]))) == 4400)
        #expect(failureCode(framing.receive(frame(.text, [0xC3, 0x28]))) == 1007)
        #expect(failureCode(framing.receive(frame(.ping, [], fin: false))) == 1002)
        var large = WebSocketFraming(maxMessageBytes: 8)
        _ = large.receive(frame(.text, Array("12345".utf8), fin: false))
        #expect(failureCode(large.receive(frame(.continuation, Array("6789".utf8)))) == 1009)
        var interleaved = WebSocketFraming(maxMessageBytes: 64)
        _ = interleaved.receive(frame(.text, Array("{".utf8), fin: false))
        #expect(failureCode(interleaved.receive(frame(.text, Array("{}".utf8)))) == 1002)
    }

    @Test func pingsAreAnsweredAndCloseIsEchoed() {
        var framing = WebSocketFraming(maxMessageBytes: 64)
        guard case .reply(let pong) = framing.receive(frame(.ping, [7, 8])) else {
            Issue.record("a ping gets a pong")
            return
        }
        #expect(pong.opcode == .pong && Array(pong.data.readableBytesView) == [7, 8] && pong.maskKey == nil)
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .goingAway)
        guard case .closed(let echo?) = framing.receive(frame(.connectionClose, Array(code.readableBytesView))) else {
            Issue.record("a client's close is echoed")
            return
        }
        var echoed = echo.data
        #expect(echoed.readWebSocketErrorCode() == .goingAway)

        var closing = WebSocketFraming(maxMessageBytes: 64)
        closing.startClosing()
        if case .message = closing.receive(frame(.text, Array("{}".utf8))) { Issue.record("no messages once closing") }
        guard case .closed(echo: nil) = closing.receive(frame(.connectionClose, Array(code.readableBytesView))) else {
            Issue.record("the answer to our close ends the handshake without an echo")
            return
        }
    }

    /// Autobahn's cases 7.3 (one-byte body), 7.5 (reason not UTF-8), 7.7 and 7.9 (codes).
    @Test func aCloseFrameTheClientGotWrongIsAnsweredWithWhy() {
        func answer(_ body: [UInt8]) -> [UInt8]? {
            var framing = WebSocketFraming(maxMessageBytes: 64)
            guard case .closed(let echo?) = framing.receive(frame(.connectionClose, body)) else { return nil }
            return Array(echo.data.readableBytesView)
        }
        func code(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] { [UInt8(code >> 8), UInt8(code & 0xFF)] + reason }
        #expect(answer([]) == [])
        #expect(answer([0x03]) == code(1002))
        for valid: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] {
            #expect(answer(code(valid, Array("fine é".utf8))) == code(valid), "code \(valid)")
        }
        for invalid: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            #expect(answer(code(invalid)) == code(1002), "code \(invalid)")
        }
        #expect(answer(code(1000, [0xFF, 0xFE])) == code(1007))
        #expect(answer(code(1000, [0xED, 0xA0, 0x80])) == code(1007))
    }

    @Test func aFragmentedInitIsAcknowledged() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            let payload = JSONValue.object(client.credentials.mapValues(JSONValue.string))
            try await socket.sendFragmented(JSONValue.object(["type": "connection_init", "payload": payload]).jsonString, pieces: 5)
            #expect(try await socket.next()["type"] == "connection_ack")
            await socket.close()
        }
    }

    @Test func eventsLargerThanAFrameAreFragmentedAndLargeClientMessagesRefused() async throws {
        let folder = ServerProcess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("small-frames.json")
        try #"{"realtimeMaxMessageBytes": 1024}"#.write(to: config, atomically: true, encoding: .utf8)
        try await withServer(extraArguments: ["--config", config.path]) { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            try await socket.subscribe("s", "subscription { onCreateNote { title } }")
            let others = try await GraphQLSocket.connect(server)
            try await others.initialize(client.credentials)
            try await others.subscribe("s", "subscription { onCreateNote { title } }")
            let title = String(repeating: "é", count: 1500)  // 3,000 bytes: three frames
            _ = try await client.data(
                "mutation C($t: String!) { createNote(input: {title: $t}) { id } }", variables: ["t": .string(title)])
            for subscriber in [socket, others] {
                let event = try await subscriber.nextEvent("s")
                #expect(event["data"]?["onCreateNote"]?["title"]?.stringValue == title)
            }
            try await socket.sendText(#"{"type":"ping","payload":""# + String(repeating: "x", count: 2000) + #""}"#)
            #expect(try await socket.closeCode() == 1009)
            await others.close()
        }
    }

    @Test func aPeerThatAnswersNoPingsIsDropped() async throws {
        // A period of a second leaves the poll below two seconds to see the connection open even
        // when parallel suites load the machine (0.3 s once missed it in CI).
        try await withServer(extraArguments: ["--ws-ping-interval", "1"]) { server, client in
            // Sends its init but reads nothing, so it answers no ping: gone after two periods.
            let silent = try await GraphQLSocket.connect(server, reading: false)
            try await silent.send(["type": "connection_init", "payload": .object(client.credentials.mapValues(JSONValue.string))])
            let deadline = ContinuousClock.now + .seconds(15)
            var seenOpen = false
            while !seenOpen, ContinuousClock.now < deadline {
                seenOpen = try await server.metric("tidewater_realtime_connections") == 1
                if !seenOpen { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(seenOpen)
            while try await server.metric("tidewater_realtime_connections") > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(try await server.metric("tidewater_realtime_connections") == 0)
            silent.startReading()
            #expect(try await silent.closeCode() == 1001)
        }
    }

    @Test func shutdownClosesSocketsAsGoingAway() async throws {
        let server = try await ServerProcess(schema: "Schema/example.graphql", extraArguments: [], signIn: true)
        defer { server.removeData() }
        let client = GraphQLClient(server)
        let socket = try await GraphQLSocket.connect(server)
        try await socket.initialize(client.credentials)
        try await socket.subscribe("s", "subscription { onCreateNote { id } }")
        let started = ContinuousClock.now
        #expect(await server.stop() == 0)
        let stopped = ContinuousClock.now - started
        let code = try await socket.closeCode(timeout: .seconds(10))
        #expect(code == 1001, "close code \(code.map(String.init) ?? "none"); the server took \(stopped) to stop")
    }
}
