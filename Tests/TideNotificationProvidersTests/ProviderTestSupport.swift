import Foundation
import Testing
import TideModel
import TideNotifications
import TideTestSupport

/// Runs `body` with the shared receivers, reset.
func withReceivers(_ body: (Receivers) async throws -> Void) async throws {
    let receivers = try await Receivers.shared()
    try await receivers.reset()
    try await body(receivers)
}

/// The provider tests, one at a time on the shared receivers (see ``Receivers``).
@Suite(.serialized) struct ProviderTests {}

/// The problems a receiver found with a request (empty: it was as the service documents it).
func problems(_ record: JSONValue) -> [String] {
    record["problems"]?.arrayValue?.compactMap(\.stringValue) ?? ["no record"]
}

func delivery(
    _ channel: NotificationChannel, to address: String, platform: PushPlatform? = nil, id: String = UUID().uuidString,
    message: RenderedMessage = RenderedMessage(title: "New comment", body: "Hello from Tidewater"), collapseId: String? = nil
) -> Delivery {
    Delivery(id: id, channel: channel, platform: platform, address: address, message: message, collapseId: collapseId)
}

extension DeliveryOutcome {
    var isSent: Bool { if case .sent = self { true } else { false } }
    var isTransient: Bool { if case .transient = self { true } else { false } }
    var isUnknown: Bool { if case .unknown = self { true } else { false } }
    var retryAfter: Int? { if case .transient(_, let seconds) = self { seconds } else { nil } }
    var disablesEndpoint: Bool? { if case .permanent(_, let disable) = self { disable } else { nil } }
    var providerMessageId: String? { if case .sent(let id) = self { id } else { nil } }
}
