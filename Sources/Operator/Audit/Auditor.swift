/// Reads log lines one at a time and keeps only aggregates, so a day of a
/// busy server's logs is read in constant memory. `report()` turns them
/// into the `AuditReport`.
public struct Auditor {
    public let settings: AuditSettings
    var counts = AuditReport.Counts()
    var lines = 0
    var otherLines = 0
    var unparsedLines = 0
    var first: Int64?
    var last: Int64?
    var files: [String] = []

    var refusedByReason = BoundedCounter(capacity: 1000)
    var refusedRelayByIP = BoundedCounter()
    var authFailuresByIP = BoundedCounter()
    var authFailuresByAccount = BoundedCounter()
    var bansByIP = BoundedCounter()
    var permissions: [RelayGrant: PermissionTally] = [:]
    var permissionOverflow = 0
    /// Domains we relayed to, for the backscatter check.
    var relayedDomains = BoundedCounter(capacity: 100_000)
    var localDomains: Set<String>
    /// Where delivery status notifications went (by domain).
    var notificationDomains = BoundedCounter()
    var openRelay = OpenRelayTally()
    var lastRelayedQueueID = ""

    public init(settings: AuditSettings) {
        self.settings = settings
        localDomains = Set(settings.localDomains.map { $0.lowercased() })
    }

    /// Reads every line of `path`.
    public mutating func read(file path: String) throws {
        files.append(path)
        try LogFiles.forEachLine(in: path) { consume($0) }
    }

    public mutating func consume(_ bytes: LogBytes) {
        guard let line = LogLine(bytes) else {
            if !bytes.isEmpty { unparsedLines += 1 }
            return
        }
        if let since = settings.since, line.time < since { return }
        lines += 1
        if first == nil || line.time < first! { first = line.time }
        if last == nil || line.time > last! { last = line.time }
        consume(LogEventParser.parse(line.text), line)
    }

    mutating func consume(_ event: LogEvent, _ line: LogLine) {
        switch event {
        case .received: counts.received += 1
        case .deliveredLocally(_, let mailboxes):
            counts.deliveredLocally += 1
            for mailbox in mailboxes.split(separator: ",") where localDomains.count < 10_000 {
                localDomains.insert(LogEventParser.domainOf(String(mailbox).trimmingSpaces))
            }
        case .relayed(_, let permission, let domain): relayed(RelayGrant(permission), domain: domain, line)
        case .refusedRelay:
            counts.refused += 1
            counts.refusedRelay += 1
            refusedByReason.add("relay denied")
            refusedRelayByIP.add(line.client?.text ?? "unknown")
        case .refusedRecipient(_, let reason):
            counts.refused += 1
            refusedByReason.add(RefusalReason.key(reason))
        case .refused(let reason):
            counts.refused += 1
            refusedByReason.add(RefusalReason.key(reason))
        case .refusedConnection(let reason):
            counts.refused += 1
            counts.refusedConnections += 1
            refusedByReason.add("connection: " + RefusalReason.key(reason))
        case .authenticated(let account):
            counts.authSuccesses += 1
            insertLocal(account)
        case .authenticationFailed(let account, let client):
            counts.authFailures += 1
            authFailuresByIP.add(client)
            authFailuresByAccount.add(account)
        case .banned(let client):
            counts.bans += 1
            bansByIP.add(client)
        case .sent(_, _, _, let permission):
            counts.sent += 1
            let grant = RelayGrant(permission)
            if case .bounce = grant { break }
            if !grant.isPermission { openRelay.sentWithoutPermission += 1 }
        case .deferred: counts.deferred += 1
        case .bounced: counts.bounced += 1
        case .statusNotification(_, let sender):
            counts.bouncesSent += 1
            notificationDomains.add(LogEventParser.domainOf(sender))
        case .bounceDiscarded: counts.bouncesDiscarded += 1
        case .mailboxLogin(let account):
            counts.popLogins += 1
            insertLocal(account)
        case .other: otherLines += 1
        case .connected, .disconnected, .popBeforeSMTPOpened, .tlsEstablished, .command, .answered, .messageID,
            .removedFromQueue:
            break
        }
    }

    private mutating func insertLocal(_ account: String) {
        if localDomains.count < 10_000 { localDomains.insert(LogEventParser.domainOf(account)) }
    }

    private mutating func relayed(_ grant: RelayGrant, domain: String, _ line: LogLine) {
        counts.relayed += 1
        let queueID = line.queueID?.text ?? ""
        // A message's recipients are logged together: a new queue id is a new message.
        let newMessage = queueID.isEmpty || queueID != lastRelayedQueueID
        lastRelayedQueueID = queueID
        if newMessage { counts.relayedMessages += 1 }
        let domain = domain.lowercased()
        relayedDomains.add(domain)
        guard grant.isPermission else {
            counts.relayedWithoutPermission += 1
            openRelay.add(line: line.whole.text, newMessage: newMessage)
            return
        }
        let night = settings.nightHours.contains(LogTime.hour(line.time))
        if permissions[grant] == nil {
            guard permissions.count < 10_000 else {
                permissionOverflow += 1
                return
            }
            permissions[grant] = PermissionTally(first: line.time)
        }
        permissions[grant]!.add(
            time: line.time, domain: domain, client: line.client?.text ?? "", newMessage: newMessage, night: night)
    }
}

/// One permission's relaying.
struct PermissionTally {
    var messages = 0
    var recipients = 0
    var first: Int64
    var last: Int64 = 0
    var night = 0
    var domains = BoundedCounter(capacity: 1000)
    var clients = BoundedCounter(capacity: 1000)

    init(first: Int64) {
        self.first = first
        last = first
    }

    mutating func add(time: Int64, domain: String, client: String, newMessage: Bool, night isNight: Bool) {
        if newMessage { messages += 1 }
        recipients += 1
        first = min(first, time)
        last = max(last, time)
        if isNight { night += 1 }
        domains.add(domain)
        clients.add(client)
    }
}

/// Relaying with no permission the audit recognises: the open-relay alarm.
struct OpenRelayTally {
    var messages = 0
    var recipients = 0
    var sentWithoutPermission = 0
    /// The first few lines, quoted in the finding.
    var examples: [String] = []

    mutating func add(line: String, newMessage: Bool) {
        recipients += 1
        if newMessage { messages += 1 }
        if examples.count < 3 { examples.append(line) }
    }
}

/// Groups refusal reasons into a few keys, so that `rate limit 31/min for
/// 203.0.113.5` and `rate limit 40/min for 198.51.100.7` count together.
enum RefusalReason {
    static let known: [(prefix: String, key: String)] = [
        ("unknown user", "unknown user"),
        ("listed in ", "blocklisted"),
        ("HELO", "HELO check"),
        ("rate limit", "rate limit"),
        ("client talked before the greeting", "early talker"),
        ("address banned", "banned address"),
        ("sender", "sender check"),
        ("SPF", "SPF"),
        ("greylist", "greylisted"),
        ("too many", "too many connections"),
    ]

    static func key(_ reason: String) -> String {
        for (prefix, key) in known where reason.hasPrefix(prefix) { return key }
        // Unknown reasons: their first words, without addresses or numbers.
        let words = reason.split(separator: " ").lazy.filter { word in
            !word.contains(where: { $0.isNumber || $0 == "<" || $0 == "(" || $0 == "[" })
        }.prefix(3).map { $0.hasSuffix(":") || $0.hasSuffix(",") ? $0.dropLast() : $0 }
        return words.isEmpty ? "other" : words.joined(separator: " ")
    }
}
