import Testing
import TideModel

@testable import TideClient

/// The outbox entry state machine, coalescing and backoff, as values.
@Suite struct OutboxStateTests {
    private func entry(_ operation: OutboxEntry.Operation, _ fields: [String: JSONValue] = [:], base: Int64? = 3) -> OutboxEntry {
        OutboxEntry(id: 1, model: "Note", recordID: "n1", operation: operation, fields: fields, baseVersion: base, createdAt: 0)
    }

    @Test func sendAcknowledgeAndTransientBackoff() throws {
        var e = entry(.update, ["title": "a"])
        #expect(e.state == .pending && !e.mayHaveBeenSent)
        try e.startSending()
        #expect(e.state == .inFlight && e.attempts == 1 && e.mayHaveBeenSent)
        try e.failTransiently(reason: "HTTP 503", now: 1_000, delay: 2.5)
        #expect(e.state == .pending && e.nextAttemptAt == 3_500 && e.reason == "HTTP 503")
        try e.startSending()
        #expect(e.attempts == 2)
    }

    @Test func parkRetryAndDiscard() throws {
        var e = entry(.create, ["title": "a"], base: nil)
        #expect(throws: OutboxEntry.InvalidTransition.self) { try e.park(reason: "x") }
        try e.startSending()
        try e.park(reason: "FORBIDDEN: no")
        #expect(e.state == .parked && e.canDiscard)
        #expect(throws: OutboxEntry.InvalidTransition.self) { try e.startSending() }
        try e.retry()
        #expect(e.state == .pending && e.nextAttemptAt == 0 && !e.canDiscard)
        #expect(throws: OutboxEntry.InvalidTransition.self) { try e.retry() }
    }

    @Test func conflictResendCountsRetriesAndRestartRecovers() throws {
        var e = entry(.create, ["title": "a"], base: nil)
        try e.startSending()
        try e.resend(operation: .update, fields: ["title": "b"], baseVersion: 7, now: 50)
        #expect(e.operation == .update && e.baseVersion == 7 && e.conflictRetries == 1 && e.state == .pending && e.nextAttemptAt == 50)
        try e.startSending()
        e.recoverAfterRestart()
        #expect(e.state == .pending && e.attempts == 2)
    }

    @Test func coalescing() {
        let create = entry(.create, ["title": "a", "tags": ["x"]], base: nil)
        #expect(
            Coalescing.decide(last: create, operation: .update, fields: ["title": "b"], baseVersion: nil)
                == .replace(operation: .create, fields: ["title": "b", "tags": ["x"]]))
        #expect(Coalescing.decide(last: create, operation: .delete, fields: [:], baseVersion: nil) == .dropLast)
        let update = entry(.update, ["title": "a"], base: 3)
        #expect(
            Coalescing.decide(last: update, operation: .update, fields: ["done": true], baseVersion: 3)
                == .replace(operation: .update, fields: ["title": "a", "done": true]))
        #expect(Coalescing.decide(last: update, operation: .delete, fields: [:], baseVersion: 3) == .replace(operation: .delete, fields: [:]))
        #expect(Coalescing.decide(last: update, operation: .update, fields: ["done": true], baseVersion: 4) == .append, "another base version")
        #expect(Coalescing.decide(last: nil, operation: .create, fields: [:], baseVersion: nil) == .append)
        #expect(Coalescing.decide(last: entry(.delete), operation: .update, fields: [:], baseVersion: 3) == .append)

        var sent = create
        try? sent.startSending()
        #expect(Coalescing.decide(last: sent, operation: .delete, fields: [:], baseVersion: nil) == .append, "in flight: it may land")
        try? sent.failTransiently(reason: "x", now: 0, delay: 0)
        #expect(Coalescing.decide(last: sent, operation: .delete, fields: [:], baseVersion: nil) == .append, "sent once: it may have landed")
        var parked = update
        try? parked.startSending()
        try? parked.park(reason: "x")
        #expect(Coalescing.decide(last: parked, operation: .update, fields: ["a": 1], baseVersion: 3) == .append)
    }

    @Test func backoffGrowsWithJitterAndHonoursRetryAfter() {
        let backoff = Backoff(base: 0.5, cap: 8)
        #expect(backoff.delay(attempt: 1, random: 0) == 0.25)
        #expect(backoff.delay(attempt: 1, random: 0.999) < 0.5)
        #expect(backoff.delay(attempt: 3, random: 0) == 1)
        #expect(backoff.delay(attempt: 3, random: 1) == 2)
        #expect(backoff.delay(attempt: 50, random: 1) == 8, "capped")
        #expect(backoff.delay(attempt: 1, retryAfter: 5, random: 0) == 5)
        #expect(backoff.delay(attempt: 6, retryAfter: 1, random: 1) == 8)
    }
}
