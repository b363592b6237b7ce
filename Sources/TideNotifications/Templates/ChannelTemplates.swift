import TideModel

/// A rule's templates, one set per channel it uses (`template:` in the rules file). Webhooks
/// carry the event itself as JSON and have none.
public struct ChannelTemplates: Sendable {
    public struct Push: Sendable {
        public var title: MessageTemplate?
        public var body: MessageTemplate
        public init(title: MessageTemplate?, body: MessageTemplate) {
            self.title = title
            self.body = body
        }
    }
    public struct Email: Sendable {
        public var subject: MessageTemplate
        public var text: MessageTemplate?
        public var html: MessageTemplate?
        public init(subject: MessageTemplate, text: MessageTemplate?, html: MessageTemplate?) {
            self.subject = subject
            self.text = text
            self.html = html
        }
    }
    public struct SMS: Sendable {
        public var body: MessageTemplate
        public init(body: MessageTemplate) { self.body = body }
    }

    public var push: Push?
    public var email: Email?
    public var sms: SMS?

    public init(push: Push? = nil, email: Email? = nil, sms: SMS? = nil) {
        self.push = push
        self.email = email
        self.sms = sms
    }

    /// The message of `channel` for `event`: the fields providers send.
    public func render(_ channel: NotificationChannel, _ event: NotificationEvent) -> RenderedMessage {
        render(channel, json: event.json)
    }

    /// The message of `channel` for an event's JSON (as the ledger keeps it).
    public func render(_ channel: NotificationChannel, json: JSONValue) -> RenderedMessage {
        switch channel {
        case .push:
            return RenderedMessage(title: push?.title?.render(json), body: push?.body.render(json) ?? "")
        case .email:
            return RenderedMessage(
                title: email?.subject.render(json), body: email?.text?.render(json) ?? "", html: email?.html?.render(json))
        case .sms:
            return RenderedMessage(body: sms?.body.render(json) ?? "")
        case .webhook:
            return RenderedMessage(body: json.jsonString)
        }
    }
}

/// A message ready for a provider: a push's title and body, an email's subject, text and HTML,
/// an SMS's text, a webhook's JSON.
public struct RenderedMessage: Sendable, Hashable {
    /// Push title or email subject.
    public var title: String?
    /// Push body, email text, SMS text, webhook JSON.
    public var body: String
    /// Email HTML.
    public var html: String?

    public init(title: String? = nil, body: String, html: String? = nil) {
        self.title = title
        self.body = body
        self.html = html
    }
}
