/// The SDL of the notification operations (ARCHITECTURE §10.2): endpoints a user registers to
/// receive push, email, SMS and webhook notifications, and opt-outs per channel and topic.
enum NotificationSDL {
    static let declarations: [(name: String, text: String)] = [
        (
            "NotificationChannel",
            SDLText.enumeration(
                "NotificationChannel", ["PUSH", "EMAIL", "SMS", "WEBHOOK"], description: "A channel notifications are sent on.")
        ),
        ("PushPlatform", SDLText.enumeration("PushPlatform", ["APNS", "FCM"], description: "The push service of a PUSH endpoint.")),
        (
            "Endpoint",
            SDLText.object(
                "Endpoint",
                [
                    SDLField("id", "ID!"), SDLField("channel", "NotificationChannel!"),
                    SDLField(
                        "address", "String!",
                        description: "A device token (PUSH), an email address, an E.164 phone number (SMS) or a URL (WEBHOOK)."),
                    SDLField("platform", "PushPlatform"),
                    SDLField("timeZone", "String", description: "IANA time zone for quiet hours; null: UTC."),
                    SDLField("enabled", "Boolean!"),
                    SDLField("disabledReason", "String", description: "Why a provider's refusal disabled the endpoint."),
                    SDLField("createdAt", "AWSDateTime!"),
                ], description: "Where the signed-in user receives notifications on one channel.")
        ),
        (
            "RegisterEndpointInput",
            SDLText.input(
                "RegisterEndpointInput",
                [
                    SDLField("channel", "NotificationChannel!"), SDLField("address", "String!"),
                    SDLField("platform", "PushPlatform", description: "Required for PUSH, refused for the other channels."),
                    SDLField("timeZone", "String"),
                ])
        ),
    ]

    static func rootField(_ operation: NotificationOperation) -> SDLField {
        switch operation {
        case .registerEndpoint:
            SDLField(
                operation.rawValue, "Endpoint", arguments: [("input", "RegisterEndpointInput!")],
                description:
                    "Registers an endpoint of the signed-in user, or returns (enabled again) the one they have for this channel and address.")
        case .removeEndpoint:
            SDLField(operation.rawValue, "Endpoint", arguments: [("id", "ID!")], description: "Removes one of the signed-in user's endpoints.")
        case .myEndpoints:
            SDLField(operation.rawValue, "[Endpoint]!", description: "The signed-in user's endpoints, oldest first.")
        case .setNotificationOptOut:
            SDLField(
                operation.rawValue, "Boolean", arguments: [("channel", "NotificationChannel!"), ("topic", "String"), ("optedOut", "Boolean!")],
                description:
                    "Opts the signed-in user out of (optedOut: true) or back into a channel, for one rules-file topic or, without topic, all of them.")
        }
    }
}
