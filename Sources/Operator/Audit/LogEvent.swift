/// What one log line says, in the server's fixed vocabulary. Lines the
/// tables below do not know are `.other`: a newer server writing new lines
/// must never make an older audit fail.
public enum LogEvent: Equatable, Sendable {
    case connected
    case disconnected
    /// `received 266 bytes from <bob@remote.test> for 1 recipients`
    case received(bytes: Int, sender: String, recipients: Int)
    /// `<rcpt> delivered: local mailbox alice@example.test`
    case deliveredLocally(recipient: String, mailboxes: String)
    /// `<rcpt> relayed: authenticated as alice@example.test, queued for remote.test`
    case relayed(recipient: String, permission: String, domain: String)
    /// `<rcpt> refused relay: client 203.0.113.5 is not authenticated … (from <s>)`
    case refusedRelay(recipient: String, reason: String)
    /// `<rcpt> refused: unknown user (from <s>)`
    case refusedRecipient(recipient: String, reason: String)
    /// `refused: listed in zen.example (…)`, `refused: client talked before the greeting`
    case refused(reason: String)
    /// `refused connection: address banned for another 900 s …`
    case refusedConnection(reason: String)
    case authenticated(account: String)
    /// `authentication failed for alice@example.test from 127.0.0.9`
    case authenticationFailed(account: String, client: String)
    /// `banned 127.0.0.9 for 15m after repeated authentication failures`
    case banned(client: String)
    /// `<rcpt> sent: 127.0.0.1:2526 said 250 2.0.0 Ok (authenticated as alice@example.test)`
    case sent(recipient: String, remote: String, reply: String, permission: String)
    case deferred(recipient: String, reason: String)
    case bounced(recipient: String, reason: String)
    /// `delivery status notification for 1 recipient(s) sent to <bob@remote.test>`
    case statusNotification(recipients: Int, sender: String)
    /// `bounce undeliverable, discarded: …`
    case bounceDiscarded
    case removedFromQueue
    /// POP3 `login alice@example.test (TLS available), 3 message(s)`
    case mailboxLogin(account: String)
    /// `pop-before-smtp: 127.0.0.5 may relay as alice@example.test for 10m`
    case popBeforeSMTPOpened(client: String, account: String)
    case tlsEstablished(String)
    /// The dialogue at level 4: `< EHLO client.test`
    case command(String)
    /// `"MAIL FROM:<x>" answered 550 …` at level 3.
    case answered(command: String, reply: String)
    /// `message-id <…>` at receipt, when the server logs it.
    case messageID(String)
    case other
}

/// Turns log text into `LogEvent`s with two tables: one for lines about a
/// recipient (`<address> verb: …`) and one for the rest, keyed by prefix.
public enum LogEventParser {
    typealias Rule = (prefix: [UInt8], parse: @Sendable (LogBytes) -> LogEvent?)
    typealias RecipientRule = (verb: [UInt8], parse: @Sendable (String, LogBytes) -> LogEvent?)

    public static func parse(_ text: LogBytes) -> LogEvent {
        if text.first == UInt8(ascii: "<"), let close = text.find("> ") {
            let rest = text[(close + 2)...]
            for rule in recipientRules {
                if let tail = rest.after(rule.verb) {
                    let recipient = text[(text.startIndex + 1)..<close].text
                    return rule.parse(recipient, tail) ?? .other
                }
            }
            return .other
        }
        for rule in rules {
            if let tail = text.after(rule.prefix) { return rule.parse(tail) ?? .other }
        }
        if text.first == UInt8(ascii: "\""), let split = text.splitLast(at: "\" answered ") {
            return .answered(command: split.0.dropFirst().text, reply: split.1.text)
        }
        return .other
    }

    /// `reason (from <sender>)` → `reason`.
    static func withoutSender(_ tail: LogBytes) -> String {
        if tail.hasSuffix(">)"), let split = tail.splitLast(at: " (from <") { return split.0.text }
        return tail.text
    }

    static let recipientRules: [RecipientRule] = [
        (Array("delivered: local mailbox ".utf8), { .deliveredLocally(recipient: $0, mailboxes: $1.text) }),
        (Array("relayed: ".utf8), { recipient, tail in
            if let (permission, domain) = tail.splitLast(at: ", queued for ") {
                return .relayed(recipient: recipient, permission: permission.text, domain: domain.text)
            }
            return .relayed(recipient: recipient, permission: tail.text, domain: domainOf(recipient))
        }),
        (Array("refused relay: ".utf8), { .refusedRelay(recipient: $0, reason: withoutSender($1)) }),
        (Array("refused: ".utf8), { .refusedRecipient(recipient: $0, reason: withoutSender($1)) }),
        (Array("sent: ".utf8), { recipient, tail in
            var permission = ""
            var body = tail
            if tail.last == UInt8(ascii: ")"), let split = tail.splitLast(at: " (") {
                permission = split.1.dropLast().text
                body = split.0
            }
            guard let (remote, reply) = body.split(at: " said ") else {
                return .sent(recipient: recipient, remote: "", reply: body.text, permission: permission)
            }
            return .sent(recipient: recipient, remote: remote.text, reply: reply.text, permission: permission)
        }),
        (Array("deferred: ".utf8), { .deferred(recipient: $0, reason: $1.text) }),
        (Array("bounced: ".utf8), { .bounced(recipient: $0, reason: $1.text) }),
    ]

    static let rules: [Rule] = [
        (Array("connected to ".utf8), { _ in .connected }),
        (Array("received ".utf8), { tail in
            guard let bytes = tail.leadingNumber, let (_, afterFrom) = tail.split(at: " bytes from "),
                let (sender, count) = afterFrom.splitLast(at: " for ")
            else { return nil }
            return .received(bytes: bytes, sender: unbracketed(sender.text), recipients: count.leadingNumber ?? 0)
        }),
        (Array("authenticated as ".utf8), { .authenticated(account: $0.text) }),
        (Array("authentication failed for ".utf8), { tail in
            guard let (account, rest) = tail.split(at: " from ") else { return nil }
            let client = rest.split(at: " ")?.0 ?? rest
            return .authenticationFailed(account: account.text, client: client.text)
        }),
        (Array("banned ".utf8), { tail in
            guard let (client, _) = tail.split(at: " ") else { return nil }
            return .banned(client: client.text)
        }),
        (Array("refused connection: ".utf8), { .refusedConnection(reason: $0.text) }),
        (Array("refused: ".utf8), { .refused(reason: $0.text) }),
        (Array("delivery status notification for ".utf8), { tail in
            // Tolerates words after the address (e.g. a future ` as S.…`).
            guard let (_, rest) = tail.splitLast(at: " sent to "), rest.first == UInt8(ascii: "<"),
                let close = rest.firstIndex(of: UInt8(ascii: ">"))
            else { return nil }
            return .statusNotification(recipients: tail.leadingNumber ?? 0, sender: rest[(rest.startIndex + 1)..<close].text)
        }),
        (Array("bounce undeliverable".utf8), { _ in .bounceDiscarded }),
        (Array("removed from queue".utf8), { _ in .removedFromQueue }),
        (Array("pop-before-smtp: ".utf8), { tail in
            guard let (client, rest) = tail.split(at: " may relay as ") else { return nil }
            let account = rest.split(at: " for ")?.0 ?? rest
            return .popBeforeSMTPOpened(client: client.text, account: account.text)
        }),
        (Array("login of ".utf8), { _ in nil }),
        (Array("login ".utf8), { tail in
            .mailboxLogin(account: (tail.split(at: " ")?.0 ?? tail).text)
        }),
        (Array("TLS established: ".utf8), { .tlsEstablished($0.text) }),
        (Array("message-id ".utf8), { .messageID(unbracketed($0.text)) }),
        (Array("< ".utf8), { .command($0.text) }),
        (Array("disconnected".utf8), { _ in .disconnected }),
        (Array("client disconnected".utf8), { _ in .disconnected }),
    ]

    /// `<a@b>` → `a@b`; `<>` → ``.
    static func unbracketed(_ text: String) -> String {
        text.hasPrefix("<") && text.hasSuffix(">") ? String(text.dropFirst().dropLast()) : text
    }

    /// The domain of an address, lowercased (`""` when there is none).
    public static func domainOf(_ address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...].lowercased()
    }
}
