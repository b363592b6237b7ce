import Foundation
import Testing
import TideNotifications

private func withNotificationStore(_ body: (NotificationStore) throws -> Void) throws {
    let folder = scratchFolder()
    let store = try NotificationStore(directory: folder.path)
    defer {
        store.close()
        try? FileManager.default.removeItem(at: folder)
    }
    try body(store)
}

@Test func aFeedEntryAppliedTwiceWritesItsRowsOnce() throws {
    try withNotificationStore { store in
        let endpoint = try store.registerEndpoint(userId: "u1", channel: .sms, address: "+15550001111", platform: nil, timeZone: nil, now: 1)
        func row(_ id: String) -> DeliveryRow {
            DeliveryRow(id: id, seq: 7, rule: "r", endpointId: endpoint.id, userId: "u1", channel: .sms, createdAt: 1, updatedAt: 1)
        }
        #expect(try store.enqueue([row("a")], events: [7: "{}"], position: 7) == 1)
        #expect(try store.enqueue([row("b")], events: [7: "{}"], position: 7) == 0)
        #expect(try store.deliveries().map(\.id) == ["a"])
        #expect(try store.fanoutPosition() == 7 && store.event(seq: 7) == "{}")
        #expect(try store.dueDeliveries(now: 0, limit: 10).map(\.id) == ["a"])
    }
}

@Test func endpointsBelongToTheirUserAndRegisteringAgainReenables() throws {
    try withNotificationStore { store in
        let first = try store.registerEndpoint(userId: "u1", channel: .email, address: "a@example.com", platform: nil, timeZone: nil, now: 1)
        try store.disableEndpoint(id: first.id, reason: "SMTP RCPT TO: 550")
        #expect(try store.endpoint(id: first.id)?.enabled == false)
        let again = try store.registerEndpoint(userId: "u1", channel: .email, address: "a@example.com", platform: nil, timeZone: "UTC", now: 2)
        #expect(again.id == first.id && again.enabled && again.disabledReason == nil && again.timeZone == "UTC")
        #expect(try store.removeEndpoint(id: first.id, userId: "u2") == nil, "another user's endpoint is not theirs to remove")
        #expect(try store.endpoints(userId: "u2").isEmpty)
        #expect(try store.removeEndpoint(id: first.id, userId: "u1")?.address == "a@example.com")
        #expect(try store.endpoints(userId: nil).isEmpty)
    }
}

@Test func optOutsCoverATopicOrTheWholeChannel() throws {
    try withNotificationStore { store in
        try store.setOptOut(userId: "u1", channel: .push, topic: "comments", optedOut: true)
        #expect(try store.isOptedOut(userId: "u1", channel: .push, topic: "comments"))
        #expect(try !store.isOptedOut(userId: "u1", channel: .push, topic: "likes"))
        try store.setOptOut(userId: "u1", channel: .push, topic: nil, optedOut: true)
        #expect(try store.isOptedOut(userId: "u1", channel: .push, topic: "likes"))
        #expect(try !store.isOptedOut(userId: "u1", channel: .email, topic: "likes"))
        try store.setOptOut(userId: "u1", channel: .push, topic: nil, optedOut: false)
        #expect(try !store.isOptedOut(userId: "u1", channel: .push, topic: "likes"))
    }
}

/// Concurrent attempts' updates share transactions: every caller returns once its own row is
/// stored (seen by another connection to the file), and a closed store fails them all.
@Test func concurrentUpdatesAreCommittedTogetherAndEachIsDurableOnReturn() async throws {
    let folder = scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try NotificationStore(directory: folder.path)
    let endpoint = try store.registerEndpoint(userId: "u1", channel: .webhook, address: "https://h/x", platform: nil, timeZone: nil, now: 1)
    let ids = (0..<200).map { "d\($0)" }
    // One row per feed entry: (seq, rule, endpoint) is a row's key.
    let inserted = try store.enqueue(
        ids.enumerated().map {
            DeliveryRow(id: $1, seq: Int64($0 + 1), rule: "r", endpointId: endpoint.id, userId: "u1", channel: .webhook, createdAt: 1, updatedAt: 1)
        }, position: Int64(ids.count))
    #expect(inserted == ids.count)
    let observer = try NotificationStore(directory: folder.path)
    defer { observer.close() }
    try await withThrowingTaskGroup(of: Void.self) { group in
        for (i, id) in ids.enumerated() {
            group.addTask {
                let sent = DeliveryProgress(state: .sent, attempts: 1, providerMessageId: "m\(i)")
                try await store.commitUpdate(id, sent, now: 2)
                #expect(try observer.delivery(id: id)?.progress.state == .sent, "durable when commitUpdate returns")
            }
        }
        try await group.waitForAll()
    }
    #expect(try observer.countsByState() == [.sent: 200])
    store.close()
    await #expect(throws: (any Error).self) {
        try await store.commitUpdate("d0", DeliveryProgress(state: .dead, attempts: 1), now: 3)
    }
    #expect(try observer.delivery(id: "d0")?.progress.state == .sent)
}
