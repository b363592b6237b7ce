import Testing
import TideNotifications

private let machine = DeliveryStateMachine()

@Test func aSentRowIsFinal() {
    let started = machine.begin(DeliveryProgress())
    #expect(started.attempts == 1 && started.inFlight)
    let (sent, disable) = machine.finish(started, with: .sent(providerMessageId: "m1"), redeliverable: false, now: 0, jitter: 0)
    #expect(sent.state == .sent && sent.providerMessageId == "m1" && !sent.inFlight && !disable)
    #expect(machine.decide(sent, now: 0) == .nothing)
    // Neither a restart nor the operator sends it again.
    #expect(machine.recover(sent, redeliverable: true, now: 0) == sent)
    #expect(machine.operatorRetry(sent) == nil)
}

@Test func transientFailuresBackOffThenDieAfterEightTries() {
    var row = DeliveryProgress()
    var waits: [Int64] = []
    var now: Int64 = 1_000_000
    for _ in 1...DeliveryStateMachine.maxAttempts {
        #expect(machine.decide(row, now: now) == .attemptNow)
        row = machine.begin(row)
        row = machine.finish(row, with: .transient(reason: "HTTP 503", retryAfter: nil), redeliverable: false, now: now, jitter: 1).row
        if let next = row.nextAttemptAt {
            waits.append(next - now)
            #expect(machine.decide(row, now: now) == .wait(until: next))
            now = next
        }
    }
    #expect(row.state == .dead && row.attempts == 8)
    #expect(row.lastError == "gave up after 8 tries: HTTP 503")
    #expect(waits == [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000])
}

@Test func jitterStaysInTheUpperHalfAndRetryAfterWins() {
    #expect(machine.backoff(afterAttempts: 3, retryAfterSeconds: nil, jitter: 0) == 4_000)
    #expect(machine.backoff(afterAttempts: 3, retryAfterSeconds: nil, jitter: 0.5) == 6_000)
    #expect(machine.backoff(afterAttempts: 3, retryAfterSeconds: 30, jitter: 0.5) == 30_000)
    #expect(machine.backoff(afterAttempts: 40, retryAfterSeconds: nil, jitter: 1) == 3_600_000)
    let row = machine.finish(machine.begin(DeliveryProgress()), with: .transient(reason: "429", retryAfter: 9), redeliverable: false, now: 100, jitter: 0).row
    #expect(row.state == .retrying && row.nextAttemptAt == 100 + 9_000)
}

@Test func aPermanentErrorIsDeadAtOnceAndMayDisableTheEndpoint() {
    let (row, disable) = machine.finish(
        machine.begin(DeliveryProgress()), with: .permanent(reason: "APNs: HTTP 410 Unregistered", disableEndpoint: true),
        redeliverable: false, now: 0, jitter: 0)
    #expect(row.state == .dead && row.lastError == "APNs: HTTP 410 Unregistered" && disable)
}

@Test func anUnknownOutcomeIsNeverResentUnlessTheReceiverDedupes() {
    let started = machine.begin(DeliveryProgress())
    let email = machine.finish(started, with: .unknown(reason: "no answer"), redeliverable: false, now: 0, jitter: 0).row
    #expect(email.state == .unknown && machine.decide(email, now: .max) == .nothing)
    let webhook = machine.finish(started, with: .unknown(reason: "no answer"), redeliverable: true, now: 0, jitter: 0).row
    #expect(webhook.state == .retrying && webhook.nextAttemptAt != nil)
}

@Test func aCrashDuringAnAttemptIsRecoveredByChannel() {
    let inFlight = machine.begin(DeliveryProgress())
    #expect(machine.decide(inFlight, now: 0) == .nothing)
    let sms = machine.recover(inFlight, redeliverable: false, now: 5)
    #expect(sms.state == .unknown && !sms.inFlight && sms.lastError == "the server stopped during this attempt")
    let webhook = machine.recover(inFlight, redeliverable: true, now: 5)
    #expect(webhook.state == .retrying && webhook.attempts == 1)
    // A row written but never started is simply pending.
    #expect(machine.recover(DeliveryProgress(), redeliverable: false, now: 5) == DeliveryProgress())
}

@Test func quietHoursAndRateCapsDeferWithoutSpendingATry() {
    let deferred = machine.hold(DeliveryProgress(), until: 7_000)
    #expect(deferred.state == .deferred && deferred.attempts == 0)
    #expect(machine.decide(deferred, now: 6_999) == .wait(until: 7_000))
    #expect(machine.decide(deferred, now: 7_000) == .attemptNow)
}

@Test func theOperatorCanRetryDeadAndUnknownRows() {
    let dead = DeliveryProgress(state: .dead, attempts: 8, lastError: "x")
    let retried = machine.operatorRetry(dead)
    #expect(retried?.state == .pending && retried?.attempts == 0)
    #expect(machine.operatorRetry(DeliveryProgress(state: .unknown, attempts: 1))?.state == .pending)
    #expect(machine.operatorRetry(DeliveryProgress(state: .retrying)) == nil)
}
