import Foundation
import TideModel
import Yams

extension RulesFileParser {
    mutating func providerSettings(_ node: Node) -> ProviderSettings {
        var settings = ProviderSettings()
        guard let pairs = reader.mapping(node, "providers", allowed: ["email", "sms", "push", "webhook"]) else {
            return settings
        }
        if let email = pairs["email"], let inner = reader.mapping(email.value, "providers.email", allowed: ["smtp"], required: ["smtp"]),
            let smtp = inner["smtp"]
        {
            settings.smtp = smtpSettings(smtp.value)
        }
        if let sms = pairs["sms"], let inner = reader.mapping(sms.value, "providers.sms", allowed: ["twilio"], required: ["twilio"]),
            let twilio = inner["twilio"]
        {
            settings.twilio = twilioSettings(twilio.value)
        }
        if let push = pairs["push"], let inner = reader.mapping(push.value, "providers.push", allowed: ["fcm", "apns"]) {
            if inner.isEmpty { reader.fail(push.value, "providers.push: configure fcm, apns or both") }
            if let fcm = inner["fcm"] { settings.fcm = fcmSettings(fcm.value) }
            if let apns = inner["apns"] { settings.apns = apnsSettings(apns.value) }
        }
        if let webhook = pairs["webhook"] {
            settings.webhook = webhookSettings(webhook.value)
        }
        return settings
    }

    private mutating func smtpSettings(_ node: Node) -> SMTPSettings? {
        let what = "providers.email.smtp"
        guard let pairs = reader.mapping(
            node, what, allowed: ["host", "port", "from", "starttls", "username", "caFile", "heloName"] + Self.secretKeys("password"),
            required: ["host", "port", "from"])
        else { return nil }
        let host = pairs["host"].flatMap { reader.string($0.value, "\(what).host") }
        let port = pairs["port"].flatMap { reader.int($0.value, "\(what).port", in: 1...65535) }
        let from = pairs["from"].flatMap { reader.string($0.value, "\(what).from") }
        if let from, let node = pairs["from"]?.value, EmailAddress.mailbox(from) == nil {
            reader.fail(node, "\(what).from: \"\(from)\" is not an address (name <local@domain> or local@domain)")
        }
        let starttls = pairs["starttls"].flatMap { reader.bool($0.value, "\(what).starttls") } ?? false
        let username = pairs["username"].flatMap { reader.string($0.value, "\(what).username") }
        let password = secret(pairs, "password", in: what, required: username != nil)
        if username == nil, password != nil, let node = pairs["passwordEnv"]?.key ?? pairs["passwordFile"]?.key {
            reader.fail(node, "\(what): a password without a username (AUTH needs both)")
        }
        let caFile = pairs["caFile"].flatMap { reader.isNull($0.value) ? nil : reader.string($0.value, "\(what).caFile") }.map(resolve)
        let helo = pairs["heloName"].flatMap { reader.string($0.value, "\(what).heloName") } ?? "tidewater.localhost"
        guard let host, let port, let from else { return nil }
        return SMTPSettings(
            host: host, port: port, from: from, starttls: starttls, username: username, password: password,
            caFile: caFile, heloName: helo)
    }

    private mutating func twilioSettings(_ node: Node) -> TwilioSettings? {
        let what = "providers.sms.twilio"
        guard let pairs = reader.mapping(
            node, what, allowed: ["baseURL", "accountSid", "from"] + Self.secretKeys("authToken"), required: ["accountSid", "from"])
        else { return nil }
        let baseURL = pairs["baseURL"].map { url($0.value, "\(what).baseURL") } ?? "https://api.twilio.com"
        let sid = pairs["accountSid"].flatMap { reader.string($0.value, "\(what).accountSid") }
        let from = pairs["from"].flatMap { reader.string($0.value, "\(what).from") }
        if let from, let node = pairs["from"]?.value, !PhoneNumber.isE164(from) {
            reader.fail(node, "\(what).from: \"\(from)\" is not an E.164 number (+ and 8 to 15 digits)")
        }
        let token = secret(pairs, "authToken", in: what, required: true)
        guard let baseURL, let sid, let from, let token else { return nil }
        return TwilioSettings(baseURL: baseURL, accountSid: sid, authToken: token, from: from)
    }

    private mutating func fcmSettings(_ node: Node) -> FCMSettings? {
        let what = "providers.push.fcm"
        guard let pairs = reader.mapping(node, what, allowed: ["serviceAccountFile", "baseURL"], required: ["serviceAccountFile"]),
            let file = pairs["serviceAccountFile"]
        else { return nil }
        let baseURL = pairs["baseURL"].map { url($0.value, "\(what).baseURL") } ?? "https://fcm.googleapis.com"
        guard let text = readFile(file.value, "\(what).serviceAccountFile") else { return nil }
        guard let account = try? JSONParser.parse(text), account.objectValue != nil else {
            reader.fail(file.value, "\(what).serviceAccountFile: not JSON (expected a Google service-account key file)")
            return nil
        }
        var fields: [String: String] = [:]
        for name in ["project_id", "client_email", "private_key"] {
            guard let value = account[name]?.stringValue, !value.isEmpty else {
                reader.fail(file.value, "\(what).serviceAccountFile: the service account has no \(name)")
                return nil
            }
            fields[name] = value
        }
        guard fields["private_key"]!.contains("-----BEGIN PRIVATE KEY-----") else {
            reader.fail(file.value, "\(what).serviceAccountFile: private_key is not a PEM PKCS#8 key")
            return nil
        }
        guard let baseURL else { return nil }
        return FCMSettings(
            baseURL: baseURL, projectId: fields["project_id"]!, clientEmail: fields["client_email"]!,
            privateKeyPEM: Secret(fields["private_key"]!),
            tokenURI: account["token_uri"]?.stringValue ?? "https://oauth2.googleapis.com/token")
    }

    private mutating func apnsSettings(_ node: Node) -> APNsSettings? {
        let what = "providers.push.apns"
        guard let pairs = reader.mapping(
            node, what, allowed: ["baseURL", "teamId", "keyId", "keyFile", "topic", "caFile"],
            required: ["teamId", "keyId", "keyFile", "topic"])
        else { return nil }
        let baseURL = pairs["baseURL"].map { url($0.value, "\(what).baseURL") } ?? "https://api.push.apple.com"
        let team = pairs["teamId"].flatMap { reader.string($0.value, "\(what).teamId") }
        let keyId = pairs["keyId"].flatMap { reader.string($0.value, "\(what).keyId") }
        let topic = pairs["topic"].flatMap { reader.string($0.value, "\(what).topic") }
        let key = pairs["keyFile"].flatMap { readFile($0.value, "\(what).keyFile") }
        if let key, let node = pairs["keyFile"]?.value, !key.contains("-----BEGIN PRIVATE KEY-----") {
            reader.fail(node, "\(what).keyFile: not a .p8 key (PEM PKCS#8)")
        }
        var caFile: String?
        if let ca = pairs["caFile"], !reader.isNull(ca.value), let name = reader.string(ca.value, "\(what).caFile") {
            caFile = resolve(name)
            if !FileManager.default.isReadableFile(atPath: caFile!) {
                reader.fail(ca.value, "\(what).caFile: cannot read \(caFile!)")
            }
        }
        guard let baseURL, let team, let keyId, let topic, let key else { return nil }
        return APNsSettings(baseURL: baseURL, teamId: team, keyId: keyId, keyPEM: Secret(key), topic: topic, caFile: caFile)
    }

    private mutating func webhookSettings(_ node: Node) -> WebhookSettings? {
        let what = "providers.webhook"
        guard let pairs = reader.mapping(node, what, allowed: ["allow"] + Self.secretKeys("secret"), required: ["allow"]) else {
            return nil
        }
        let secret = secret(pairs, "secret", in: what, required: true)
        var allow: [String] = []
        if let list = pairs["allow"]?.value, let sequence = list.sequence {
            for element in sequence {
                if let prefix = url(element, "\(what).allow") { allow.append(prefix) }
            }
            if allow.isEmpty, sequence.isEmpty { reader.fail(list, "\(what).allow: list at least one URL prefix") }
        } else if let list = pairs["allow"]?.value {
            reader.fail(list, "\(what).allow must be a list of URL prefixes")
        }
        guard let secret else { return nil }
        return WebhookSettings(secret: secret, allow: allow)
    }

    /// An `http://` or `https://` URL.
    private mutating func url(_ node: Node, _ what: String) -> String? {
        guard let text = reader.string(node, what) else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            reader.fail(node, "\(what): \"\(text)\" is not an http(s) URL")
            return nil
        }
        return text
    }
}
