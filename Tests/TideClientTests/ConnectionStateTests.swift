import Testing

@testable import TideClient

/// The live link's state machine, without sockets or clocks.
@Suite struct ConnectionStateTests {
    @Test func connectSyncLive() {
        var machine = ConnectionStateMachine(backoff: Backoff(base: 1, cap: 8))
        #expect(machine.status == .offline)
        #expect(machine.handle(.start) == .connect)
        #expect(machine.status == .connecting)
        #expect(machine.handle(.syncing(model: "Note")) == .none)
        #expect(machine.status == .syncing(model: "Note"))
        #expect(machine.handle(.synced) == .none)
        #expect(machine.status == .live)
    }

    @Test func failuresBackOffAndLiveResetsThem() {
        var machine = ConnectionStateMachine(backoff: Backoff(base: 1, cap: 8))
        _ = machine.handle(.start)
        #expect(machine.handle(.disconnected(reason: "refused", renew: false), random: 1) == .retry(after: 1))
        #expect(machine.status == .offline)
        #expect(machine.handle(.disconnected(reason: "refused", renew: false), random: 1) == .retry(after: 2))
        #expect(machine.handle(.disconnected(reason: "refused", renew: false), random: 1) == .retry(after: 4))
        #expect(machine.failures == 3)
        _ = machine.handle(.synced)
        #expect(machine.failures == 0)
        #expect(machine.handle(.disconnected(reason: "token", renew: true)) == .connect, "a renewal reconnects at once")
        #expect(machine.status == .connecting && machine.failures == 0)
    }

    @Test func linkDownAndUp() {
        var machine = ConnectionStateMachine()
        _ = machine.handle(.start)
        _ = machine.handle(.synced)
        #expect(machine.handle(.linkDown) == .disconnect)
        #expect(machine.status == .offline)
        #expect(machine.handle(.disconnected(reason: "closed", renew: false)) == .none, "no retry while the link is down")
        #expect(machine.handle(.linkUp) == .connect)
        #expect(machine.status == .connecting)
        #expect(machine.handle(.linkUp) == .none, "already connecting")
    }

    @Test func startedOfflineConnectsWhenTheLinkComesUp() {
        var machine = ConnectionStateMachine()
        #expect(machine.handle(.linkDown) == .none)
        #expect(machine.handle(.start) == .none)
        #expect(machine.status == .offline)
        #expect(machine.handle(.linkUp) == .connect)
    }

    @Test func fatalStopsRetrying() {
        var machine = ConnectionStateMachine()
        _ = machine.handle(.start)
        #expect(machine.handle(.fatal("credentials refused")) == .disconnect)
        #expect(machine.status == .error("credentials refused"))
        #expect(machine.handle(.disconnected(reason: "closed", renew: false)) == .none)
        #expect(machine.handle(.start) == .connect, "starting again retries")
        #expect(machine.handle(.stop) == .disconnect)
        #expect(machine.status == .offline)
        #expect(machine.handle(.synced) == .none && machine.status == .offline)
    }
}
