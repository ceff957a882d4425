/// What the lines of a `MessageStory` say, gathered under the headings an
/// administrator asks about.
public struct MessageSummary: Sendable, Equatable {
    public struct Recipient: Sendable, Equatable {
        public var address: String
        /// The decision at RCPT/DATA time with its rule: `relayed: client network …`.
        public var decision: String = ""
        /// `time text` of each delivery attempt.
        public var attempts: [String] = []
        /// `delivered locally`, `sent`, `bounced`, `deferred (still queued)`, `refused`,
        /// `greylisted (not accepted; the client should retry)`.
        public var fate: String = "unknown"
    }

    public var queueID: String
    public var connection: String?
    public var connectedAt: String?
    public var client: String?
    public var helo: [String] = []
    public var tls: String?
    public var authentication: [String] = []
    public var sender: String?
    public var size: Int?
    public var receivedAt: String?
    public var recipients: [Recipient] = []
    public var bounces: [String] = []
    /// Other lines about the message (problems, checks, anti-spam verdicts).
    public var notes: [String] = []

    public init(_ story: MessageStory) {
        queueID = story.queueID
        connection = story.connection
        for text in story.lines {
            var bytes = Array(text.utf8)
            bytes.withUnsafeMutableBufferPointer { buffer in
                guard let line = LogLine(UnsafeBufferPointer(buffer)[...]) else { return }
                add(line, LogEventParser.parse(line.text))
            }
        }
    }

    private mutating func add(_ line: LogLine, _ event: LogEvent) {
        let time = LogTime.format(line.time)
        let ours = line.queueID.map { $0.elementsEqual(queueID.utf8) } ?? false
        switch event {
        case .connected:
            connectedAt = time
            client = line.client?.text
        case .command(let command):
            let upper = command.uppercased()
            if upper.hasPrefix("EHLO ") || upper.hasPrefix("HELO ") || upper.hasPrefix("LHLO ") { helo.append(command) }
            if upper.hasPrefix("AUTH ") { authentication.append(command) }
        case .tlsEstablished(let info): tls = info
        case .authenticated(let account): authentication.append("authenticated as \(account)")
        case .authenticationFailed(let account, _, let locked):
            authentication.append(locked ? "refused for \(account): account locked" : "failed for \(account)")
        case .received(let size, let sender, _) where ours:
            self.size = size
            self.sender = sender
            receivedAt = time
        case .deliveredLocally(let address, let mailboxes) where ours:
            update(address) {
                $0.decision = "delivered: local mailbox \(mailboxes)"
                $0.fate = "delivered locally"
            }
        case .relayed(let address, let permission, let domain) where ours:
            update(address) {
                $0.decision = "relayed: \(permission), queued for \(domain)"
                $0.fate = "queued"
            }
        case .refusedRelay(let address, let reason) where ours:
            update(address) {
                $0.decision = "refused relay: \(reason)"
                $0.fate = "refused"
            }
        case .refusedRecipient(let address, let reason) where ours:
            update(address) {
                $0.decision = "refused: \(reason)"
                $0.fate = "refused"
            }
        case .sent(let address, let remote, let reply, _) where ours:
            update(address) {
                $0.attempts.append("\(time) sent: \(remote) said \(reply)")
                $0.fate = "sent to \(remote)"
            }
        case .greylisted(let address, let reason) where ours:
            update(address) {
                $0.decision = "greylisted: \(reason)"
                $0.fate = "greylisted (not accepted; the client should retry)"
            }
        case .deferred(let address, let reason) where ours && line.isConnection:
            // An older server's word for a 4xx at RCPT (greylisting, directory trouble).
            update(address) {
                $0.decision = "refused for now: \(reason)"
                $0.fate = "not accepted (temporary refusal; the client should retry)"
            }
        case .deferred(let address, let reason) where ours:
            update(address) {
                $0.attempts.append("\(time) deferred: \(reason)")
                $0.fate = "deferred (still queued)"
            }
        case .bounced(let address, let reason) where ours:
            update(address) {
                $0.attempts.append("\(time) bounced: \(reason)")
                $0.fate = "bounced"
            }
        case .statusNotification(let count, let sender) where ours:
            bounces.append("\(time) bounce (DSN) for \(count) recipient(s) sent to <\(sender)>")
        case .sent, .deferred, .bounced, .bounceDiscarded:
            bounces.append("\(time) \(line.queueID?.text ?? "") \(line.text.text)")
        case .refused:
            notes.append("\(time) \(line.text.text)")
        case .answered, .other:
            // Problems (3) and failures (1); the rest is in the lines below.
            if line.level == 1 || line.level == 3 { notes.append("\(time) \(line.text.text)") }
        default:
            break
        }
    }

    private mutating func update(_ address: String, _ change: (inout Recipient) -> Void) {
        if let index = recipients.firstIndex(where: { $0.address == address }) {
            change(&recipients[index])
        } else {
            var recipient = Recipient(address: address)
            change(&recipient)
            recipients.append(recipient)
        }
    }
}
