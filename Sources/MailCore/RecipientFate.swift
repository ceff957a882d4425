/// What became of one recipient, in the log's fixed vocabulary. The server
/// writes each fate line with `line(_:_:)`; `sims audit` and `sims explain`
/// read it back with `parse(_:)`: the words have this one owner.
///
///     <bob@remote.test> relayed: authenticated as alice@example.test, queued for remote.test
///
/// The recipient comes first, escaped as a `LogField` address, then the fate
/// word and a colon, then the detail (server words, with any client value in
/// it escaped by `LogField` too).
public enum RecipientFate: String, CaseIterable, Sendable {
    /// Stored in a local mailbox (`delivered: local mailbox alice@…`).
    case delivered = "delivered"
    /// Accepted for another domain and queued, with its permission.
    case relayed = "relayed"
    /// Refused at RCPT because the client may not relay (5xx).
    case refusedRelay = "refused relay"
    /// Refused at RCPT or by a check, permanently or "try again later"
    /// (unknown user, rate limit, directory unavailable): never accepted.
    case refused = "refused"
    /// Refused with 4xx by greylisting: never accepted, the client retries.
    case greylisted = "greylisted"
    /// The queue handed it to the next host.
    case sent = "sent"
    /// The queue will try again (accepted, still queued).
    case deferred = "deferred"
    /// The queue gave up; a delivery status notification goes to the sender.
    case bounced = "bounced"

    /// The word as written, without the colon.
    public var word: String { rawValue }

    /// True for the fates of a recipient the server accepted (250).
    public var wasAccepted: Bool {
        switch self {
        case .delivered, .relayed, .sent, .deferred, .bounced: return true
        case .refusedRelay, .refused, .greylisted: return false
        }
    }

    /// `<recipient> word: detail`.
    public func line(_ recipient: EnvelopePath, _ detail: String) -> String {
        LogField.path(recipient) + " " + rawValue + ": " + detail
    }

    /// `<recipient> word: detail` for an address kept as text (the queue's).
    public func line(address: String, _ detail: String) -> String {
        LogField.address(address) + " " + rawValue + ": " + detail
    }

    /// The fate words longest first, so `refused relay` is tried before `refused`.
    public static let byLongestWord: [RecipientFate] = allCases.sorted { $0.rawValue.count > $1.rawValue.count }

    /// Reads `<recipient> word: detail`: the recipient (unescaped), the fate
    /// and the detail; nil when the text is not a fate line.
    public static func parse(_ text: some StringProtocol) -> (recipient: String, fate: RecipientFate, detail: String)? {
        let text = Substring(text)
        guard text.first == "<", let close = text.firstIndex(of: ">") else { return nil }
        let recipient = LogField.unescape(text[text.index(after: text.startIndex)..<close])
        let rest = text[text.index(after: close)...]
        guard rest.first == " " else { return nil }
        let afterSpace = rest.dropFirst()
        for fate in byLongestWord {
            let prefix = fate.rawValue + ": "
            if afterSpace.hasPrefix(prefix) {
                return (recipient, fate, String(afterSpace.dropFirst(prefix.count)))
            }
        }
        return nil
    }
}
