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
