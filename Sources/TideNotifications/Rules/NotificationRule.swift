import TideFilterPolicy

/// The ways a notification reaches a person.
public enum NotificationChannel: String, Sendable, Hashable, CaseIterable, Codable {
    case push = "PUSH", email = "EMAIL", sms = "SMS", webhook = "WEBHOOK"

    /// The name the rules file uses (`push`, `email`, …).
    public var ruleName: String { rawValue.lowercased() }
}

/// The push services.
public enum PushPlatform: String, Sendable, Hashable, CaseIterable, Codable {
    case apns = "APNS", fcm = "FCM"
}

/// The change a rule reacts to (`on.operations`), as the event's `op` names it.
public enum EventOperation: String, Sendable, Hashable, CaseIterable {
    case create, update, delete, expire
}

/// Who a rule notifies, resolved when the delivery is sent (so a user removed from a group
/// meanwhile is not notified).
public enum Recipients: Sendable, Hashable {
    /// The user id(s) in a field of the record (a `String`/`ID` field, or a list of them).
    case field(String)
    /// The record's owner (the model's owner field).
    case owner(field: String)
    /// Every member of a group.
    case group(String)
    /// Fixed user ids.
    case users([String])
}

/// One rule of the rules file: which changes, filtered how, notify whom, on which channels, with
/// which text.
public struct NotificationRule: Sendable {
    public var name: String
    public var model: String
    public var operations: Set<EventOperation>
    /// The SNS filter policy over the event; nil passes every event.
    public var filter: FilterPolicy?
    public var recipients: Recipients
    public var channels: [NotificationChannel]
    /// What users opt out of (with a channel); nil: opt-outs of the whole channel only.
    public var topic: String?
    public var templates: ChannelTemplates
    public var rateCap: RateCap?
    public var quietHours: QuietHours?
    /// The line of the rule in the rules file, for messages about it.
    public var line: Int

    /// Whether this rule reacts to `event` (its model, operation and filter).
    public func applies(to event: NotificationEvent) -> Bool {
        event.model == model && operations.contains(event.operation) && (filter?.matches(event.json) ?? true)
    }
}
