import Testing
import TideModel
import TideNotifications

private let event = NotificationEvent(
    operation: .create, model: "Comment", id: "c1", actor: "u2", seq: 42, time: 1_700_000_000_000,
    new: ["content": "Tom & Jerry <script>\"x\"</script>", "score": 3, "tags": ["a", "b"], "done": false, "none": nil],
    old: nil)

@Test func htmlPartsEscapeValues() throws {
    let html = try MessageTemplate("<p>{{new.content}}</p>", escaping: .html)
    #expect(html.render(event.json) == "<p>Tom &amp; Jerry &lt;script&gt;&quot;x&quot;&lt;/script&gt;</p>")
}

@Test func textPartsDoNotEscape() throws {
    let text = try MessageTemplate("New: {{new.content}}", escaping: .text)
    #expect(text.render(event.json) == "New: Tom & Jerry <script>\"x\"</script>")
}

@Test func tripleBracesNeverEscape() throws {
    let html = try MessageTemplate("{{{new.content}}}", escaping: .html)
    #expect(html.render(event.json) == "Tom & Jerry <script>\"x\"</script>")
}

@Test func templatesSeeTheWholeEvent() throws {
    let text = try MessageTemplate(
        "{{op}} {{model}} {{id}} by {{actor}} at {{seq}}: {{new.score}}{{#new.tags}} #{{.}}{{/new.tags}}{{^new.done}} (open){{/new.done}}[{{new.none}}]{{#old}}old{{/old}}",
        escaping: .text)
    #expect(text.render(event.json) == "create Comment c1 by u2 at 42: 3 #a #b (open)[]")
}

@Test func channelTemplatesRenderEachChannel() throws {
    let templates = ChannelTemplates(
        push: .init(title: try MessageTemplate("New comment", escaping: .text), body: try MessageTemplate("{{new.content}}", escaping: .text)),
        email: .init(
            subject: try MessageTemplate("Re: {{new.content}}", escaping: .text),
            text: try MessageTemplate("{{new.content}}", escaping: .text),
            html: try MessageTemplate("<b>{{new.content}}</b>", escaping: .html)),
        sms: .init(body: try MessageTemplate("SMS {{new.score}}", escaping: .text)))
    let email = templates.render(.email, event)
    #expect(email.title == "Re: Tom & Jerry <script>\"x\"</script>")
    #expect(email.html == "<b>Tom &amp; Jerry &lt;script&gt;&quot;x&quot;&lt;/script&gt;</b>")
    #expect(templates.render(.sms, event).body == "SMS 3")
    #expect(templates.render(.push, event).title == "New comment")
    let webhook = templates.render(.webhook, event)
    #expect(try JSONParser.parse(webhook.body)["seq"] == 42)
}

@Test func aSyntaxErrorSaysWhere() {
    #expect {
        try MessageTemplate("line one\nline {{two", escaping: .text)
    } throws: { error in
        guard let error = error as? MessageTemplate.SyntaxError else { return false }
        return error.line == 2 && error.reason == "the template ends inside a tag (missing }})"
    }
}

@Test func feedEntriesBecomeEvents() {
    let removal = FeedEntryFixture.entry(operation: .remove, reason: "ttl")
    #expect(NotificationEvent(removal).operation == .expire)
    #expect(NotificationEvent(FeedEntryFixture.entry(operation: .remove, reason: nil)).operation == .delete)
    #expect(NotificationEvent(FeedEntryFixture.entry(operation: .insert, reason: nil)).operation == .create)
    #expect(NotificationEvent(FeedEntryFixture.entry(operation: .modify, reason: nil)).json["old"]?["content"] == "before")
}
