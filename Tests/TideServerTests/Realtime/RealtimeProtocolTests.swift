import Foundation
import Testing
import TideModel
import TideTestSupport

/// graphql-transport-ws over a real socket: every protocol rule and close code.
@Suite struct RealtimeProtocolTests {
    static let onCreate = "subscription { onCreateNote { id title } }"

    @Test func initAcknowledgesAndAnswersPing() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.send(["type": "ping", "payload": ["n": 1]])  // allowed before the ack
            let pong = try await socket.next()
            #expect(pong["type"] == "pong")
            #expect(pong["payload"]?["n"] == 1)
            try await socket.initialize(client.credentials)
            try await socket.send(["type": "pong"])  // unsolicited pongs are fine
            try await socket.send(["type": "ping"])
            #expect(try await socket.next()["type"] == "pong")
            await socket.close()
        }
    }

    @Test func serverPingsOnItsInterval() async throws {
        try await withServer(extraArguments: ["--ws-ping-interval", "0.3"]) { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            let ping = try await socket.next(timeout: .seconds(5), skipPings: false)
            #expect(ping["type"] == "ping")
            try await socket.send(["type": "pong"])
            await socket.close()
        }
    }

    @Test func closeCodes() async throws {
        // Long enough for the other cases to init on a loaded machine, short enough to wait for.
        try await withServer(extraArguments: ["--ws-init-timeout", "5"]) { server, client in
            func closed(_ steps: (GraphQLSocket) async throws -> Void) async throws -> Int? {
                let socket = try await GraphQLSocket.connect(server)
                try await steps(socket)
                return try await socket.closeCode()
            }
            // Not JSON, no type, an unknown type, a server-only type, a subscribe without a query.
            for text in ["{not json", #"{"id":"1"}"#, #"{"type":"hello"}"#, #"{"type":"next","id":"1"}"#,
                #"{"type":"subscribe","id":"1","payload":{}}"#]
            {
                let code = try await closed { try await $0.sendText(text) }
                #expect(code == 4400, "\(text)")
            }
            let beforeAck = try await closed { try await $0.subscribe("1", Self.onCreate) }
            #expect(beforeAck == 4401)
            let forged = try await closed { try await $0.send(["type": "connection_init", "payload": ["Authorization": "Bearer forged"]]) }
            #expect(forged == 4403)
            let unknownKey = try await closed { try await $0.send(["type": "connection_init", "payload": ["x-api-key": "twk_unknown"]]) }
            #expect(unknownKey == 4403)
            let silent = try await closed { _ in }
            #expect(silent == 4408)
            let twice = try await closed { socket in
                try await socket.initialize(client.credentials)
                try await socket.send(["type": "connection_init"])
            }
            #expect(twice == 4429)
            let duplicate = try await closed { socket in
                try await socket.initialize(client.credentials)
                try await socket.subscribe("same", Self.onCreate)
                try await socket.subscribe("same", Self.onCreate)
            }
            #expect(duplicate == 4409)
        }
    }

    /// As graphql-ws's reference server (`use/ws`): the upgrade succeeds without a subprotocol,
    /// then the socket closes with 4406.
    @Test(arguments: [nil, "graphql-ws", "graphql-ws, other"])
    func withoutTheSubprotocolTheSocketClosesWith4406(offering subprotocol: String?) async throws {
        try await withServer(signIn: false) { server, _ in
            let socket = try await GraphQLSocket.connect(server, subprotocol: subprotocol)
            #expect(try await socket.closeCode() == 4406)
            #expect(socket.closeReason == "Subprotocol not acceptable")
            // Offered among others, ours is chosen.
            let accepted = try await GraphQLSocket.connect(server, subprotocol: "graphql-ws, graphql-transport-ws")
            try await accepted.initialize()
            await accepted.close()
        }
    }

    @Test func anonymousConnectionsAreAcknowledgedButSeeOnlyWhatTheRulesAllow() async throws {
        try await withServer { server, _ in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize()
            try await socket.subscribe("1", Self.onCreate)
            let error = try await socket.next()
            #expect(error["type"] == "error")
            #expect(error.firstError?["extensions"]?["code"] == "UNAUTHENTICATED")
            await socket.close()
        }
    }

    @Test func queriesAndMutationsOverTheSocket() async throws {
        try await withServer { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            let created = try await socket.execute("m", #"mutation { createNote(input: {title: "over ws"}) { id title } }"#)
            #expect(created["data"]?["createNote"]?["title"] == "over ws")
            let id = created["data"]?["createNote"]?["id"] ?? .null
            let read = try await socket.execute("q", "query Q($id: ID!) { getNote(id: $id) { title } }", variables: ["id": id])
            #expect(read["data"]?["getNote"]?["title"] == "over ws")
            // Field errors are a result (next + complete); request errors are an error message.
            try await socket.subscribe("bad", "{ listNotes { nope } }")
            let error = try await socket.next()
            #expect(error["type"] == "error")
            #expect(error["id"] == "bad")
            #expect(error.firstError?["message"] != nil)
            // The same id may be used again once the operation is over.
            _ = try await socket.execute("q", "{ listNotes { items { id } } }")
            await socket.close()
        }
    }

    @Test func limitsOnOperationsAndConnections() async throws {
        try await withServer(extraArguments: ["--ws-max-operations", "2", "--ws-max-connections", "2"]) { server, client in
            let socket = try await GraphQLSocket.connect(server)
            try await socket.initialize(client.credentials)
            try await socket.subscribe("1", Self.onCreate)
            try await socket.subscribe("2", Self.onCreate)
            try await socket.subscribe("3", Self.onCreate)
            let refused = try await socket.next()
            #expect(refused["type"] == "error")
            #expect(refused["id"] == "3")
            #expect(refused.firstError?["extensions"]?["code"] == "LIMIT_EXCEEDED")
            // Completing one makes room again.
            try await socket.send(["type": "complete", "id": "1"])
            try await socket.subscribe("3", Self.onCreate)
            _ = try await client.data(#"mutation { createNote(input: {title: "n"}) { id } }"#)
            let events = try await [socket.next(), socket.next()]
            #expect(Set(events.compactMap { $0["id"]?.stringValue }) == ["2", "3"])

            let second = try await GraphQLSocket.connect(server)
            try await second.initialize(client.credentials)
            let third = try await GraphQLSocket.connect(server)
            try await third.send(["type": "connection_init", "payload": .object(client.credentials.mapValues(JSONValue.string))])
            #expect(try await third.closeCode() == 4430)
            #expect(try await server.metric("tidewater_realtime_connections") == 2)
            #expect(try await server.metric("tidewater_realtime_subscriptions") == 2)
            await second.close()
            await socket.close()
        }
    }
}
