import NIOCore
import Testing
import TideModel

@testable import TideServer

/// graphql-transport-ws's rules as a value, apart from sockets: every event in, the action out.
/// `Stream` is a plain string here; the connection keeps a subscription there.
@Suite struct RealtimeStateMachineTests {
    typealias Machine = RealtimeStateMachine<String>

    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func message(_ json: String) throws -> ClientMessage {
        try ClientMessage(text: Array(json.utf8))
    }

    private func caller(expiresAt: Int64? = nil) -> RealtimeCaller {
        RealtimeCaller(principal: .apiKey(id: "k1"), expiresAt: expiresAt, key: "apikey:k1", apiKey: .apiKey("twk_secret"))
    }

    private func subscribe(_ id: String) throws -> ClientMessage {
        try message(#"{"type":"subscribe","id":"\#(id)","payload":{"query":"subscription { onCreateNote { id } }"}}"#)
    }

    /// A machine past `connection_ack`.
    private func ready(maxOperations: Int = 10, caller: RealtimeCaller? = nil) throws -> Machine {
        var machine = Machine(maxOperations: maxOperations, now: start)
        guard case .authenticate = machine.receive(try message(#"{"type":"connection_init"}"#), now: 0) else {
            Issue.record("connection_init asks for the credentials to be checked")
            return machine
        }
        _ = machine.acknowledge(caller ?? self.caller())
        return machine
    }

    private func closeCode(_ action: Machine.Action) -> Int? {
        if case .close(let reason, _) = action { return reason.code }
        return nil
    }

    private func sent(_ action: Machine.Action) -> String? {
        if case .send(let bytes) = action { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    @Test func initAuthenticatesThenAcknowledges() throws {
        var machine = Machine(maxOperations: 10, now: start)
        guard case .authenticate(let payload) = machine.receive(try message(#"{"type":"connection_init","payload":{"x-api-key":"k"}}"#), now: 0)
        else {
            Issue.record("connection_init asks for the credentials to be checked")
            return
        }
        #expect(payload["x-api-key"] == "k")
        #expect(machine.caller == nil)
        let action1 = machine.acknowledge(caller())
        #expect(sent(action1) == #"{"type":"connection_ack"}"#)
        #expect(machine.caller?.key == "apikey:k1")
        // Only once: an acknowledgement that comes late (the socket closed meanwhile) is dropped.
        if case .none = machine.acknowledge(caller()) {} else { Issue.record("a second acknowledge does nothing") }
    }

    @Test func protocolViolationsCloseWithTheirCodes() throws {
        var early = Machine(maxOperations: 10, now: start)
        let action2 = early.receive(try subscribe("1"), now: 0)
        #expect(closeCode(action2) == 4401)

        var twice = try ready()
        let action3 = twice.receive(try message(#"{"type":"connection_init"}"#), now: 0)
        #expect(closeCode(action3) == 4429)

        var authenticating = Machine(maxOperations: 10, now: start)
        _ = authenticating.receive(try message(#"{"type":"connection_init"}"#), now: 0)
        let action4 = authenticating.receive(try message(#"{"type":"connection_init"}"#), now: 0)
        #expect(closeCode(action4) == 4429)

        var duplicate = try ready()
        guard case .start = duplicate.receive(try subscribe("same"), now: 0) else {
            Issue.record("a subscribe after the ack starts the operation")
            return
        }
        duplicate.started("same", .stream("s"))
        let action5 = duplicate.receive(try subscribe("same"), now: 0)
        #expect(closeCode(action5) == 4409)

        var silent = Machine(maxOperations: 10, now: start)
        let action6 = silent.initTimedOut()
        #expect(closeCode(action6) == 4408)
        var acknowledged = try ready()
        if case .none = acknowledged.initTimedOut() {} else { Issue.record("the init timer is moot after the ack") }
    }

    @Test func pingIsAnsweredInAnyPhaseBeforeClosing() throws {
        var machine = Machine(maxOperations: 10, now: start)
        let action7 = machine.receive(try message(#"{"type":"ping","payload":{"n":1}}"#), now: 0)
        #expect(sent(action7) == #"{"type":"pong","payload":{"n":1}}"#)
        if case .none = machine.receive(try message(#"{"type":"pong"}"#), now: 0) {} else { Issue.record("a pong needs no answer") }
        _ = machine.close(.forbidden)
        if case .none = machine.receive(try message(#"{"type":"ping"}"#), now: 0) {} else {
            Issue.record("nothing is answered once the server closes")
        }
    }

    @Test func operationsAreCountedAndCompleted() throws {
        var machine = try ready(maxOperations: 2)
        guard case .start(let id, _, let resumeFrom, let caller) = machine.receive(
            try message(#"{"type":"subscribe","id":"a","payload":{"query":"subscription { onCreateNote { id } }","extensions":{"resumeFrom":7}}}"#),
            now: 0)
        else {
            Issue.record("subscribe starts the operation")
            return
        }
        #expect(id == "a" && resumeFrom == 7 && caller.key == "apikey:k1")
        machine.started("a", .stream("stream a"))
        _ = machine.receive(try subscribe("b"), now: 0)
        machine.started("b", .single)
        // The limit counts subscriptions and queries still running.
        let refusal = machine.receive(try subscribe("c"), now: 0)
        let refused = try #require(sent(refusal))
        #expect(refused.contains(#""id":"c""#) && refused.contains("LIMIT_EXCEEDED"))
        #expect(machine.streams.map(\.id) == ["a"])

        guard case .stop(let stream) = machine.receive(try message(#"{"type":"complete","id":"a"}"#), now: 0) else {
            Issue.record("complete stops a subscription")
            return
        }
        #expect(stream == "stream a")
        #expect(machine.streams.map(\.id).isEmpty)
        // A query completed by the client finishes, but its result is not sent.
        if case .none = machine.receive(try message(#"{"type":"complete","id":"b"}"#), now: 0) {} else {
            Issue.record("completing a query needs no action")
        }
        let finished8 = machine.finished("b")
        #expect(!finished8)
        machine.started("d", .single)
        let finished9 = machine.finished("d")
        #expect(finished9)
        let finished10 = machine.finished("d")
        #expect(!finished10)
    }

    @Test func expiredCredentialsEndEverySubscriptionWithAnError() throws {
        var machine = try ready(caller: caller(expiresAt: 100))
        machine.started("b", .stream("B"))
        machine.started("a", .stream("A"))
        machine.started("q", .single)
        guard case .notYet = machine.expiryDue(now: 99) else {
            Issue.record("not expired before its second")
            return
        }
        guard case .close(let reason, let closing) = machine.expiryDue(now: 100).action else {
            Issue.record("expiry closes")
            return
        }
        #expect(reason == .tokenExpired)
        #expect(closing.streams.map(\.id) == ["a", "b"])
        #expect(closing.caller?.key == "apikey:k1")
        let errors = String(decoding: try #require(closing.errors), as: UTF8.self)
        #expect(errors.contains("UNAUTHENTICATED"))
        #expect(machine.isClosing && machine.caller == nil)
        guard case .stop = machine.expiryDue(now: 200) else {
            Issue.record("no expiry after closing")
            return
        }
        // A subscribe that arrives after the token ran out closes the same way.
        var late = try ready(caller: caller(expiresAt: 100))
        let action11 = late.receive(try subscribe("x"), now: 100)
        #expect(closeCode(action11) == 4403)
    }

    @Test func keepaliveWaitsPingsAndDropsASilentPeer() throws {
        let period = TimeAmount.seconds(10)
        var waiting = Machine(maxOperations: 10, now: start)
        guard case .wait = waiting.keepalive(now: start + .seconds(100), period: period) else {
            Issue.record("before the ack the keepalive only reschedules")
            return
        }
        var machine = try ready()
        guard case .ping = machine.keepalive(now: start + .seconds(21), period: period) else {
            Issue.record("a peer heard within two periods and a second is pinged")
            return
        }
        machine.heard(at: start + .seconds(15))
        guard case .ping = machine.keepalive(now: start + .seconds(36), period: period) else {
            Issue.record("hearing from the peer resets the clock")
            return
        }
        guard case .timedOut(let action) = machine.keepalive(now: start + .seconds(37), period: period) else {
            Issue.record("a peer silent for two periods and a second is dropped")
            return
        }
        #expect(closeCode(action) == 1001)
        guard case .stop = machine.keepalive(now: start + .seconds(38), period: period) else {
            Issue.record("no more ticks once closing")
            return
        }
    }

    @Test func reauthorizingKeepsTheAllowedSubscriptionsAndEndsTheOthers() throws {
        var machine = try ready()
        machine.started("a", .stream("A"))
        machine.started("b", .stream("B"))
        machine.started("c", .stream("C"))
        machine.started("q", .single)
        let regrouped = RealtimeCaller(
            principal: .user(UserIdentity(id: "u1", username: "carol", groups: ["team-a"])), expiresAt: nil, key: "user:u1",
            apiKey: nil)
        let ended = machine.reauthorize(regrouped, keeping: ["b"])
        #expect(ended == ["a", "c"])
        #expect(machine.caller === regrouped)
        #expect(machine.streams.map(\.id) == ["b"])
        #expect(machine.stream("b") == "B" && machine.stream("a") == nil)
        // A query already running still finishes.
        let finished = machine.finished("q")
        #expect(finished)
        // A subscription that fails on the server's side ends once.
        let failed = machine.failed("b")
        let failedAgain = machine.failed("b")
        #expect(failed && !failedAgain)
        #expect(machine.streams.map(\.id).isEmpty)
        // Nothing changes once closing.
        _ = machine.close(.forbidden)
        let afterClose = machine.reauthorize(regrouped, keeping: [])
        #expect(afterClose.isEmpty)
    }

    @Test func closingHappensOnceAndReleasesWhatWasHeld() throws {
        var machine = try ready()
        machine.started("s", .stream("S"))
        let ended = machine.end()
        let closing = try #require(ended)
        #expect(closing.caller != nil && closing.streams.map(\.id) == ["s"] && closing.errors == nil)
        let again = machine.end()
        #expect(again == nil)
        if case .none = machine.close(.forbidden) {} else { Issue.record("a second close does nothing") }
        // Nothing starts on a closing connection, and a late query result is not sent.
        machine.started("late", .single)
        let finished12 = machine.finished("late")
        #expect(!finished12)

        var refused = Machine(maxOperations: 10, now: start)
        _ = refused.receive(try message(#"{"type":"connection_init"}"#), now: 0)
        guard case .close(let reason, let nothing) = refused.close(.forbidden) else {
            Issue.record("refused credentials close")
            return
        }
        #expect(reason.code == 4403 && nothing.caller == nil && nothing.streams.isEmpty)
    }
}

extension RealtimeStateMachine.Expiry {
    fileprivate var action: RealtimeStateMachine.Action? {
        if case .expired(let action) = self { action } else { nil }
    }
}
