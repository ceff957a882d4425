import Configuration
import MailCore

/// What one log line says, in the server's fixed vocabulary. Lines the
/// tables below do not know are `.other`: a newer server writing new lines
/// must never make an older audit fail.
///
/// Client values (addresses, user names, HELO, command lines) are kept as
/// the log wrote them, escaped by `LogField`: one value has one spelling,
/// so they count correctly as keys, and they are safe to print on a terminal.
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
    /// `authentication failed for alice@example.test from 127.0.0.9`; `locked`
    /// when the server added `(account locked after repeated failures)`.
    case authenticationFailed(account: String, client: String, locked: Bool)
    /// `banned 127.0.0.9 for 15m after repeated authentication failures`
    case banned(client: String)
    /// `<rcpt> sent: 127.0.0.1:2526 said 250 2.0.0 Ok (authenticated as alice@example.test)`
    case sent(recipient: String, remote: String, reply: String, permission: String)
    case deferred(recipient: String, reason: String)
    /// `<rcpt> greylisted: …`: refused with 4xx at RCPT, never accepted.
    case greylisted(recipient: String, reason: String)
    case bounced(recipient: String, reason: String)
    /// `delivery status notification for 1 recipient(s) sent to <bob@remote.test>`
    case statusNotification(recipients: Int, sender: String)
    /// `bounce undeliverable, discarded: …`
    case bounceDiscarded
    case removedFromQueue
    /// POP3 `login alice@example.test (TLS available), 3 message(s)`, IMAP `login alice@example.test (TLS)`
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
    /// `log levels: SMTP=2 SUBMIT=2 …`, written at every start.
    case logLevels([String: Int])
    /// `default gateways: 192.168.1.1, fd00::1 (…)` (or `none`), written at
    /// every start and when they change (`RouteTable.logLine`).
    case defaultGateways([String])
    case other
}

/// Turns log text into `LogEvent`s by the log's grammar (docs/operations.md):
/// a recipient line is `<address> fate: detail`, where the address ends at
/// its first `>` (`LogField` escapes `>` inside it) and the fate is a
/// `RecipientFate` word; other lines are keyed by prefix, and each client
/// value in them is one `LogField` word, address or quoted text. No rule
/// searches the line for a word a client could have written.
public enum LogEventParser {
    typealias Rule = (prefix: [UInt8], parse: @Sendable (LogBytes) -> LogEvent?)

    public static func parse(_ text: LogBytes) -> LogEvent {
        // The dialogue (`< EHLO …`): an address never has a space after its `<`.
        if let command = text.after(dialoguePrefix) { return .command(command.text) }
        if text.first == UInt8(ascii: "<") {
            guard let (recipient, rest) = address(text) else { return .other }
            return recipientEvent(recipient, rest) ?? .other
        }
        for rule in rules {
            if let tail = text.after(rule.prefix) { return rule.parse(tail) ?? .other }
        }
        if text.first == UInt8(ascii: "\""), let close = text.dropFirst().firstIndex(of: UInt8(ascii: "\"")),
            let reply = text[(close + 1)...].after(Array(" answered ".utf8))
        {
            return .answered(command: text[(text.startIndex + 1)..<close].text, reply: reply.text)
        }
        return .other
    }

    /// `<address>` at the start of `text`: the address as logged (without
    /// the brackets) and what follows it; nil when there is none.
    static func address(_ text: LogBytes) -> (String, LogBytes)? {
        guard text.first == UInt8(ascii: "<"), let close = text.firstIndex(of: UInt8(ascii: ">")) else { return nil }
        return (text[(text.startIndex + 1)..<close].text, text[(close + 1)...])
    }

    /// One `LogField` word at the start of `text` (up to a space) and the rest after the space.
    static func word(_ text: LogBytes) -> (LogBytes, LogBytes) {
        guard let space = text.firstIndex(of: UInt8(ascii: " ")) else { return (text, text[text.endIndex...]) }
        return (text[..<space], text[(space + 1)...])
    }

    static let fateWords: [(word: [UInt8], fate: RecipientFate)] = RecipientFate.byLongestWord.map {
        (Array(" \($0.word): ".utf8), $0)
    }

    /// ` fate: detail` after a recipient's address.
    static func recipientEvent(_ recipient: String, _ rest: LogBytes) -> LogEvent? {
        guard let (prefix, fate) = fateWords.first(where: { rest.hasPrefix($0.word) }) else { return nil }
        let tail = rest[(rest.startIndex + prefix.count)...]
        switch fate {
        case .delivered:
            guard let mailboxes = tail.after(Array("local mailbox ".utf8)) else { return nil }
            return .deliveredLocally(recipient: recipient, mailboxes: mailboxes.text)
        case .relayed:
            if let (permission, domain) = tail.splitLast(at: ", queued for ") {
                return .relayed(recipient: recipient, permission: permission.text, domain: domain.text)
            }
            return .relayed(recipient: recipient, permission: tail.text, domain: domainOf(recipient))
        case .refusedRelay: return .refusedRelay(recipient: recipient, reason: withoutSender(tail))
        case .refused: return .refusedRecipient(recipient: recipient, reason: withoutSender(tail))
        case .greylisted: return .greylisted(recipient: recipient, reason: tail.text)
        case .sent:
            // `HOST said REPLY (PERMISSION)`: the permission is the server's
            // words at the end; the reply (escaped) comes before it.
            var permission = ""
            var body = tail
            if tail.last == UInt8(ascii: ")"), let split = tail.splitLast(at: " (") {
                permission = split.1.dropLast().text
                body = split.0
            }
            // The remote host is the server's words (no ` said ` in them); the reply follows.
            guard let (remote, reply) = body.split(at: " said ") else {
                return .sent(recipient: recipient, remote: "", reply: body.text, permission: permission)
            }
            return .sent(recipient: recipient, remote: remote.text, reply: reply.text, permission: permission)
        case .deferred: return .deferred(recipient: recipient, reason: tail.text)
        case .bounced: return .bounced(recipient: recipient, reason: tail.text)
        }
    }

    /// `reason (from <sender>)` → `reason`.
    static func withoutSender(_ tail: LogBytes) -> String {
        if tail.hasSuffix(">)"), let split = tail.splitLast(at: " (from <") { return split.0.text }
        return tail.text
    }

    static let dialoguePrefix = Array("< ".utf8)
    static let lockedSuffix: StaticString = " (account locked after repeated failures)"

    static let rules: [Rule] = [
        (Array("connected to ".utf8), { _ in .connected }),
        (
            Array("received ".utf8),
            { tail in
                // `N bytes from <sender> for N recipient(s)…`
                guard let bytes = tail.leadingNumber, let afterNumber = tail.split(at: " ")?.1,
                    let afterFrom = afterNumber.after(Array("bytes from ".utf8)), let (sender, rest) = address(afterFrom),
                    let count = rest.after(Array(" for ".utf8))
                else { return nil }
                return .received(bytes: bytes, sender: sender, recipients: count.leadingNumber ?? 0)
            }
        ),
        (Array("authenticated as ".utf8), { .authenticated(account: word($0).0.text) }),
        (
            Array("authentication failed for ".utf8),
            { tail in
                let (account, rest) = word(tail)
                guard let afterFrom = rest.after(Array("from ".utf8)) else { return nil }
                let (client, _) = word(afterFrom)
                return .authenticationFailed(account: account.text, client: client.text, locked: tail.hasSuffix(lockedSuffix))
            }
        ),
        (
            Array("banned ".utf8),
            { tail in
                guard let (client, _) = tail.split(at: " ") else { return nil }
                return .banned(client: client.text)
            }
        ),
        (Array("refused connection: ".utf8), { .refusedConnection(reason: $0.text) }),
        (Array("refused: ".utf8), { .refused(reason: $0.text) }),
        (
            Array("delivery status notification for ".utf8),
            { tail in
                // `N recipient(s) sent to <sender>[ as S.…]`: server words up to the address.
                guard let count = tail.leadingNumber, let (_, rest) = tail.split(at: " sent to "),
                    let (sender, _) = address(rest)
                else { return nil }
                return .statusNotification(recipients: count, sender: sender)
            }
        ),
        (Array("bounce undeliverable".utf8), { _ in .bounceDiscarded }),
        (Array("removed from queue".utf8), { _ in .removedFromQueue }),
        (
            Array("pop-before-smtp: ".utf8),
            { tail in
                let (client, rest) = word(tail)
                guard let afterAs = rest.after(Array("may relay as ".utf8)) else { return nil }
                return .popBeforeSMTPOpened(client: client.text, account: word(afterAs).0.text)
            }
        ),
        (Array("login of ".utf8), { _ in nil }),
        (Array("login ".utf8), { .mailboxLogin(account: word($0).0.text) }),
        (Array("TLS established: ".utf8), { .tlsEstablished($0.text) }),
        (Array("message-id ".utf8), { .messageID(unbracketed($0.text)) }),
        (Array("disconnected".utf8), { _ in .disconnected }),
        (Array("client disconnected".utf8), { _ in .disconnected }),
        (Array(AuditedLogLevels.startupPrefix.utf8), { .logLevels(AuditedLogLevels.parseStartupLine($0.text)) }),
        (Array(RouteTable.logPrefix.utf8), { .defaultGateways(RouteTable.parseLogLine($0.text).map(\.description)) }),
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
