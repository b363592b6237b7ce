/// Who belongs to a group, for rules with `recipients: {group: …}`. The server answers from its
/// identity store; asked when deliveries are made and again when each is sent, so a user
/// removed from the group meanwhile receives nothing.
///
/// ```swift
/// struct FixedGroups: RecipientDirectory {
///     let groups: [String: [String]]
///     func members(ofGroup group: String) async throws -> [String] { groups[group] ?? [] }
/// }
/// ```
public protocol RecipientDirectory: Sendable {
    /// The user ids of a group's members.
    func members(ofGroup group: String) async throws -> [String]
}

/// Finds the provider of a channel (and platform, for push): implemented by the providers
/// module's `ProviderSet`.
public protocol ProviderDirectory: Sendable {
    func provider(for channel: NotificationChannel, platform: PushPlatform?) -> (any NotificationProvider)?
}
