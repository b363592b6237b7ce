import Testing
import TideModel

@testable import TideClient

/// The graphql-transport-ws client state machine, without a socket.
@Suite struct GraphQLTransportWSTests {
    private func message(_ text: String) -> JSONValue { (try? JSONParser.parse(text)) ?? .null }

    @Test func handshakeThenOperations() {
        var state = GraphQLTransportWS()
        #expect(message(GraphQLTransportWS.connectionInit(payload: ["Authorization": "Bearer t"])) == [
            "type": "connection_init", "payload": ["Authorization": "Bearer t"],
        ])
        #expect(state.phase == .connecting)
        #expect(state.receive(#"{"type":"connection_ack"}"#) == [.acknowledged])
        #expect(state.phase == .ready)

        let (first, subscribe) = state.subscribe(query: "subscription { onCreateNote { id } }", extensions: ["resumeFrom": 41])
        let (second, _) = state.subscribe(query: "{ __typename }")
        #expect(first == "1" && second == "2")
        #expect(message(subscribe) == [
            "type": "subscribe", "id": "1",
            "payload": ["query": "subscription { onCreateNote { id } }", "extensions": ["resumeFrom": 41]],
        ])
        #expect(
            state.receive(#"{"type":"next","id":"1","payload":{"data":{"onCreateNote":{"id":"n1"}},"extensions":{"seq":42}}}"#)
                == [.next(id: "1", payload: ["data": ["onCreateNote": ["id": "n1"]], "extensions": ["seq": 42]])])
        #expect(state.receive(#"{"type":"complete","id":"2"}"#) == [.complete(id: "2")])
        #expect(state.operations == ["1"])
        #expect(state.receive(#"{"type":"error","id":"1","payload":[{"message":"gone"}]}"#) == [.error(id: "1", errors: [["message": "gone"]])])
        #expect(state.operations.isEmpty)
    }

    @Test func pingIsAnsweredWithItsPayload() {
        var state = GraphQLTransportWS()
        #expect(state.receive(#"{"type":"ping"}"#) == [.send(#"{"type":"pong"}"#)])
        _ = state.receive(#"{"type":"connection_ack"}"#)
        #expect(state.receive(#"{"type":"ping","payload":{"at":1}}"#) == [.send(#"{"payload":{"at":1},"type":"pong"}"#)])
        #expect(state.receive(#"{"type":"pong"}"#).isEmpty)
    }

    @Test func messagesForOperationsWeCompletedAreIgnored() {
        var state = GraphQLTransportWS()
        _ = state.receive(#"{"type":"connection_ack"}"#)
        let (id, _) = state.subscribe(query: "subscription { onCreateNote { id } }")
        #expect(state.complete(id: id) == #"{"id":"1","type":"complete"}"#)
        #expect(state.complete(id: id) == nil, "completing twice sends nothing")
        #expect(state.receive(#"{"type":"next","id":"1","payload":{"data":null}}"#).isEmpty)
        #expect(state.phase == .ready)
    }

    @Test func protocolViolationsCloseWith4400() {
        for bad in ["not json", #"{"no":"type"}"#, #"{"type":"next","id":"1","payload":{}}"#, #"{"type":"mystery"}"#] {
            var state = GraphQLTransportWS()
            let actions = state.receive(bad)
            #expect(actions.count == 1)
            guard case .close(let code, _)? = actions.first else {
                Issue.record("\(bad) did not close: \(actions)")
                continue
            }
            #expect(code == 4400, "\(bad)")
            #expect(state.phase == .closed)
            #expect(state.receive(#"{"type":"connection_ack"}"#).isEmpty, "nothing is handled after the close")
        }
        var ready = GraphQLTransportWS()
        _ = ready.receive(#"{"type":"connection_ack"}"#)
        _ = ready.subscribe(query: "{ __typename }")
        guard case .close(4400, _)? = ready.receive(#"{"type":"next","id":"1"}"#).first else {
            Issue.record("a next without a payload must close")
            return
        }
    }
}
