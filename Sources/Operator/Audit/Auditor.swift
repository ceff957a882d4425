import MailCore

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
    /// Relayed messages and recipients by queue id, exact up to
    /// `AuditSettings.exactMessageBound` (then a new queue id after another
    /// counts as a new message, as lines are mostly grouped).
    var relayedMessageIDs: Set<String> = []
    var relayedRecipientKeys: Set<String> = []
    var lastRelayedQueueID = ""
    var greylisted = 0
    var lockedLogins = BoundedCounter()
    /// Addresses each account logged in from (AUTH, POP3), for the stolen-password check.
    var accountClients: [String: BoundedCounter] = [:]
    /// Levels the server announced at its starts: the last one before the
    /// window, and those inside it (bounded).
    var levelsBeforeWindow: (time: Int64, levels: [String: Int])?
    var levelsInWindow: [(time: Int64, levels: [String: Int])] = []
    /// Relays for this host's default gateway (the NAT trap).
    var gatewayRelays = GatewayRelays()
    /// Log files that were asked for and do not exist.
    public var missingFiles: [String] = []

    public init(settings: AuditSettings) {
        self.settings = settings
        localDomains = Set(settings.localDomains.map { $0.lowercased() })
    }

    /// Reads every line of `path`.
    public mutating func read(file path: String) throws {
        try LogFiles.forEachLine(in: path) { consume($0) }
        files.append(path)
    }

    public mutating func consume(_ bytes: LogBytes) {
        guard let line = LogLine(bytes) else {
            if !bytes.isEmpty { unparsedLines += 1 }
            return
        }
        if let since = settings.since, line.time < since {
            // What the server logged at its last start before the window is
            // what it logs at the window's start.
            // So are the gateways it logged last.
            if line.source.elementsEqual("SYSTEM".utf8) {
                switch LogEventParser.parse(line.text) {
                case .logLevels(let levels): levelsBeforeWindow = (line.time, levels)
                case .defaultGateways(let gateways): gatewayRelays.gatewaysLogged(gateways)
                default: break
                }
            }
            return
        }
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
        case .relayed(let recipient, let permission, let domain):
            relayed(RelayGrant(permission), recipient: recipient, domain: domain, line)
        case .refusedRelay(_, let reason):
            counts.refused += 1
            counts.refusedRelay += 1
            refusedRelayByIP.add(line.client?.text ?? "unknown")
            if let gateway = RelayRefusal.gatewayClient(inDetail: reason) {
                refusedByReason.add("relay denied (default gateway)")
                gatewayRelays.refused.add(gateway)
            } else {
                refusedByReason.add("relay denied")
            }
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
            loggedIn(account, from: line)
        case .authenticationFailed(let account, let client, let locked):
            counts.authFailures += 1
            authFailuresByIP.add(client)
            authFailuresByAccount.add(account)
            if locked {
                counts.lockedLogins += 1
                lockedLogins.add(account)
            }
        case .banned(let client):
            counts.bans += 1
            bansByIP.add(client)
        case .sent(let recipient, _, _, let permission):
            counts.sent += 1
            let grant = RelayGrant(permission)
            if case .bounce = grant { break }
            if !grant.isPermission {
                openRelay.sentWithoutPermission += 1
            } else if let queueID = line.queueID?.text, !relayedRecipientKeys.contains(queueID + " " + recipient),
                relayedRecipientKeys.count < settings.exactMessageBound
            {
                // Relayed under a permission although no `relayed:` line said
                // so (SMTP logged below level 2): still a relay.
                relayed(grant, recipient: recipient, domain: LogEventParser.domainOf(recipient), line)
            }
        case .deferred(_, let reason) where line.isConnection:
            // Written by servers before the fate words had one owner: at RCPT
            // time `deferred:` was greylisting or a failed directory lookup,
            // a 4xx to the client, never a queue deferral.
            if reason.hasPrefix("greylisted") {
                counts.greylisted += 1
            } else {
                counts.refused += 1
                refusedByReason.add(RefusalReason.key(reason))
            }
        case .deferred: counts.deferred += 1
        case .greylisted: counts.greylisted += 1
        case .bounced: counts.bounced += 1
        case .statusNotification(_, let sender):
            counts.bouncesSent += 1
            notificationDomains.add(LogEventParser.domainOf(sender))
        case .bounceDiscarded: counts.bouncesDiscarded += 1
        case .mailboxLogin(let account):
            // The same words for both readers; the connection (`IMAP-3`, `POP3-2`) says which.
            if line.source.starts(with: "IMAP".utf8) { counts.imapLogins += 1 } else { counts.popLogins += 1 }
            insertLocal(account)
            loggedIn(account, from: line)
        case .logLevels(let levels):
            if levelsInWindow.count < 1000 { levelsInWindow.append((line.time, levels)) }
        case .defaultGateways(let gateways):
            if line.source.elementsEqual("SYSTEM".utf8) { gatewayRelays.gatewaysLogged(gateways) }
        case .other: otherLines += 1
        case .connected, .disconnected, .popBeforeSMTPOpened, .tlsEstablished, .command, .answered, .messageID,
            .removedFromQueue:
            break
        }
    }

    private mutating func insertLocal(_ account: String) {
        if localDomains.count < 10_000 { localDomains.insert(LogEventParser.domainOf(account)) }
    }

    private mutating func loggedIn(_ account: String, from line: LogLine) {
        guard let client = line.client?.text else { return }
        guard accountClients[account] != nil || accountClients.count < 10_000 else { return }
        accountClients[account, default: BoundedCounter(capacity: settings.distinctBound)].add(client)
    }

    private mutating func relayed(_ grant: RelayGrant, recipient: String, domain: String, _ line: LogLine) {
        let queueID = line.queueID?.text ?? ""
        if !queueID.isEmpty {
            // The same recipient of the same message is one relay, whichever
            // of `relayed:` and `sent:` said it.
            let key = queueID + " " + recipient
            if relayedRecipientKeys.contains(key) { return }
            if relayedRecipientKeys.count < settings.exactMessageBound { relayedRecipientKeys.insert(key) }
        }
        counts.relayed += 1
        // A message is counted once by its queue id, however its lines interleave
        // with those of other messages.
        let newMessage: Bool
        if queueID.isEmpty {
            newMessage = true
        } else if relayedMessageIDs.contains(queueID) {
            newMessage = false
        } else if relayedMessageIDs.count < settings.exactMessageBound {
            relayedMessageIDs.insert(queueID)
            newMessage = true
        } else {
            newMessage = queueID != lastRelayedQueueID
        }
        lastRelayedQueueID = queueID
        if newMessage { counts.relayedMessages += 1 }
        let domain = domain.lowercased()
        relayedDomains.add(domain)
        guard grant.isPermission else {
            counts.relayedWithoutPermission += 1
            openRelay.add(line: line.whole.text, newMessage: newMessage)
            return
        }
        let client = line.client?.text ?? ""
        let viaGateway = gatewayRelays.relayed(grant, client: client, line: line.whole.text)
        let night = settings.nightHours.contains(LogTime.hour(line.time))
        guard permissions[grant] != nil || permissions.count < 10_000 else {
            permissionOverflow += 1
            return
        }
        permissions[grant, default: PermissionTally(first: line.time, distinctBound: settings.distinctBound)].add(
            time: line.time, queueID: queueID, domain: domain, client: client, night: night,
            bound: settings.exactMessageBound, viaGateway: viaGateway)
    }
}

/// One permission's relaying. Domains and clients are exact up to
/// `distinctBound`, then reported as "more than" it.
struct PermissionTally {
    var messages = 0
    var recipients = 0
    var first: Int64
    var last: Int64 = 0
    var night = 0
    var domains: BoundedCounter
    var clients: BoundedCounter
    var queueIDs: Set<String> = []
    var lastQueueID = ""
    /// Clients that were this host's default gateway when they relayed (a few).
    var gatewayClients: Set<String> = []

    init(first: Int64, distinctBound: Int) {
        self.first = first
        last = first
        domains = BoundedCounter(capacity: distinctBound)
        clients = BoundedCounter(capacity: distinctBound)
    }

    mutating func add(
        time: Int64, queueID: String, domain: String, client: String, night isNight: Bool, bound: Int, viaGateway: Bool = false
    ) {
        if viaGateway, gatewayClients.count < 10 { gatewayClients.insert(client) }
        if queueID.isEmpty {
            messages += 1
        } else if !queueIDs.contains(queueID) {
            if queueIDs.count < bound {
                queueIDs.insert(queueID)
                messages += 1
            } else if queueID != lastQueueID {
                messages += 1
            }
        }
        lastQueueID = queueID
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
        ("directory lookup failed", "directory unavailable"),
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
