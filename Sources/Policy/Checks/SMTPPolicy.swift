import AntiSpam
import DNS
import Logging
import MailCore
import NIOCore
import SMTPProtocol

/// The anti-spam checks of one SMTP server, as the connection calls them: at
/// connect, at HELO/EHLO, at MAIL and at RCPT. Each returns a verdict the
/// session carries out, logs its evidence, and leaves its result in the
/// connection's `PolicyState` for the message's log line and headers.
///
/// Authenticated users, client networks and `antispam.exempt_networks` are
/// never checked (rate limits per user still apply to authenticated users).
/// This host's default gateway is exempt only when an entry names it alone:
/// behind a masquerading port forward it stands for every outside client
/// (`RelayDecision.trustedEntry`, the rule the relay permission uses).
public struct SMTPPolicy: Sendable {
    let options: AntiSpamOptions
    let hostname: String
    let clientNetworks: ClientNetworks
    let gateways: GatewayAddresses
    let blocklists: BlocklistChecker?
    let helo: HeloVerifier?
    let heloPolicy: HeloPolicy
    let returnPath: ReturnPathVerifier
    let spf: SPFEvaluator
    let rate: RateLimiter?
    let penaltyBox: ProbePenaltyBox
    let greylist: Greylist?

    public init(
        options: AntiSpamOptions, hostname: String, clientNetworks: [IPAddressRange], resolver: any DNSResolving,
        localDomains: @escaping @Sendable () -> Set<String>, ourAddresses: [String],
        gateways: GatewayAddresses = GatewayAddresses()
    ) {
        self.init(
            options: options, hostname: hostname, clientNetworks: ClientNetworks(clientNetworks), resolver: resolver,
            localDomains: localDomains, ourAddresses: ourAddresses, gateways: gateways)
    }

    /// - Parameter clientNetworks: the server's live list (changed by SIGHUP).
    public init(
        options: AntiSpamOptions, hostname: String, clientNetworks: ClientNetworks, resolver: any DNSResolving,
        localDomains: @escaping @Sendable () -> Set<String>, ourAddresses: [String],
        gateways: GatewayAddresses = GatewayAddresses()
    ) {
        self.options = options
        self.hostname = hostname
        self.clientNetworks = clientNetworks
        self.gateways = gateways
        blocklists = options.blocklists.isEmpty ? nil : BlocklistChecker(lists: options.blocklists, resolver: resolver)
        helo = options.heloMode.map { _ in
            // Loopback clients are exempt by default (exempt_networks); an
            // operator who removes them wants them checked like anyone.
            HeloVerifier(
                resolver: resolver, ourHostnames: [hostname], localDomains: localDomains, ourAddresses: ourAddresses,
                loopbackIsUs: false)
        }
        heloPolicy = options.heloMode.map(HeloPolicy.init(mode:)) ?? HeloPolicy()
        returnPath = ReturnPathVerifier(resolver: resolver)
        spf = SPFEvaluator(resolver: resolver, receiver: hostname)
        rate = options.rate.isOff ? nil : RateLimiter(limits: options.rate)
        penaltyBox = ProbePenaltyBox(penaltyDuration: options.probePenalty)
        greylist = options.greylisting ? Greylist(settings: options.greylist) : nil
    }

    /// Whether the session must ask before answering HELO/EHLO (`.checkHello`).
    public var checksHello: Bool { options.checksHello }
    /// Whether the session must ask before answering MAIL (`.checkSender`).
    public var checksSender: Bool { options.checksSender }

    /// Whether a client is trusted by address (client networks, exempt
    /// networks; the default gateway only when an entry names it alone).
    func isExempt(_ client: String) -> Bool {
        guard let address = MailCore.IPAddress(client) else { return false }
        return RelayDecision.trustedEntry(
            containing: address, in: clientNetworks.current + options.exemptNetworks, gateways: gateways.current) != nil
    }

    // MARK: Connect

    /// Checks made before the greeting; a reply means "refuse with it and close".
    /// Submission listeners check nothing here: their clients must authenticate
    /// before MAIL, and a user on a blocklisted dial-up address must still send.
    public func checkConnect(_ state: PolicyState, client: String, submission: Bool, logger: Logger) async -> SMTPReply? {
        state.exempt = isExempt(client) || submission
        state.probeGuard = RecipientProbeGuard(settings: options.tarpit, slowed: penaltyBox.isPenalized(client))
        if state.probeGuard.startedSlowed {
            logger.warning("tarpit: \(client) probed for recipients recently, its unknown recipients are answered slowly at once")
        }
        guard !state.exempt else { return nil }
        if let rate, case .exceeded(let limit) = rate.admitConnection(from: client) {
            logger.notice("refused: \(LogField.text(limit.description))")
            return limit.reply(hostname: hostname)
        }
        if options.blocklistCheck == .connect, let rejection = await checkBlocklists(state, client: client, logger: logger) {
            return rejection
        }
        return nil
    }

    /// The client's address in every configured address list, once per connection.
    private func checkBlocklists(_ state: PolicyState, client: String, logger: Logger) async -> SMTPReply? {
        guard let blocklists, !state.blocklistsChecked, let address = MailCore.IPAddress(client) else { return nil }
        state.blocklistsChecked = true
        let verdicts = await blocklists.check(address: address)
        for verdict in verdicts { state.connectionEvidence += log(verdict, logger: logger) }
        state.blocklistScore = verdicts.totalScore
        if let hit = verdicts.firstRejection {
            let text = rejectionText(for: hit)
            logger.notice("refused: \(text)")
            return SMTPReply(554, .init(5, 7, 1), text)
        }
        return nil
    }

    /// Logs one list's answer; returns the evidence for the headers, if any.
    private func log(_ verdict: BlocklistVerdict, logger: Logger) -> [String] {
        switch verdict.outcome {
        case .listed(let reason):
            let listed = "\(verdict.subject) listed in \(verdict.list.displayName) (\(verdict.answers.joined(separator: ", ")))"
            logger.notice("dnsbl: \(listed)\(reason.map { ": \(LogField.text($0))" } ?? "")")
            return ["dnsbl=listed(\(verdict.list.zone))"]
        case .notListed:
            logger.debug("dnsbl: \(verdict.subject) not listed in \(verdict.list.displayName)")
            return []
        case .refused:
            logger.warning(
                "dnsbl: \(verdict.list.displayName) refused the query for \(verdict.subject) (127.255.255.x); not counted")
            return []
        case .noAnswer(let error):
            logger.warning(
                "dnsbl: no answer from \(verdict.list.displayName) for \(verdict.subject): \(error); accepted (fail open)")
            return []
        }
    }

    // MARK: HELO

    public func checkHello(_ name: String, state: PolicyState, client: String, logger: Logger) async -> PolicyVerdict {
        guard let helo, !state.exempt else { return .accept }
        let verdict = await helo.verify(helo: name, clientAddress: client)
        state.helo = verdict
        state.heloScore = 0
        if verdict.severity.logLevel >= 4 { logger.debug("\(verdict.logText)") } else { logger.warning("\(verdict.logText)") }
        switch heloPolicy.action(for: verdict) {
        case .accept: return .accept
        case .score(let points):
            // Set, not added: a client says EHLO again after STARTTLS.
            state.heloScore = points
            return .accept
        case .reject(let reply):
            logger.notice("refused: HELO \(LogField.word(name)): \(LogField.text(reply.lines.joined(separator: " ")))")
            return .reject(reply)
        }
    }

    // MARK: MAIL

    public func checkSender(
        _ transaction: MailTransaction, helloName: String?, user: String?, state: PolicyState, client: String, logger: Logger
    ) async -> PolicyVerdict {
        // What the previous transaction found about its sender is not this one's.
        state.spf = nil
        state.returnPath = nil
        state.senderEvidence = []
        state.senderScore = 0
        if let rate, user != nil || !state.exempt, case .exceeded(let limit) = rate.admitMessage(from: client, user: user) {
            logger.notice("refused: \(LogField.text(limit.description)) (from \(LogField.path(transaction.reversePath)))")
            return .reject(limit.reply(hostname: hostname))
        }
        guard user == nil, !state.exempt else { return .accept }
        if options.blocklistCheck == .mail, let rejection = await checkBlocklists(state, client: client, logger: logger) {
            return .reject(rejection)
        }
        let sender = transaction.reversePath.mailbox
        let senderDomain: String? = sender.flatMap { if case .name(let domain) = $0.domain { domain } else { nil } }
        if let blocklists, let senderDomain {
            let verdicts = await blocklists.check(domain: senderDomain)
            for verdict in verdicts { state.senderEvidence += log(verdict, logger: logger) }
            state.senderScore = verdicts.totalScore
            if let hit = verdicts.firstRejection {
                let text = rejectionText(for: hit)
                logger.notice("refused: sender \(LogField.path(transaction.reversePath)): \(LogField.text(text))")
                return .reject(SMTPReply(554, .init(5, 7, 1), text))
            }
        }
        if options.verifyReturnPath {
            let verdict = await returnPath.verify(path: transaction.reversePath)
            state.returnPath = verdict
            if let reply = verdict.reply, !verdict.isAccepted {
                logger.notice("refused: return path \(LogField.path(transaction.reversePath)): \(LogField.text(verdict.description))")
                return .reject(reply)
            }
            logger.debug("return path \(LogField.path(transaction.reversePath)): \(LogField.text(verdict.description))")
        }
        if options.spf != .off, let helloName, !helloName.hasPrefix("["), state.spfHelo?.domain != helloName.lowercased() {
            // RFC 7208 § 2.3: the HELO identity too, once per connection; recorded, never refused.
            let outcome = await spf.evaluateHELO(ip: client, helo: helloName)
            state.spfHelo = outcome
            logger.debug("spf: \(LogField.text(outcome.description)) for HELO \(LogField.word(helloName)) from \(client)")
        }
        if options.spf != .off {
            let mailFrom = sender.map { "\($0)" } ?? ""
            let outcome = await spf.evaluate(ip: client, mailFrom: mailFrom, helo: helloName ?? "")
            state.spf = outcome
            logger.info("spf: \(LogField.text(outcome.description)) for \(LogField.path(transaction.reversePath)) from \(client)")
            if outcome.result == .fail, options.spf == .reject {
                let why = outcome.explanation.map { ": \(WireText.singleLine($0, maximumLength: 200))" } ?? ""
                logger.notice("refused: SPF fail for \(LogField.path(transaction.reversePath))")
                return .reject(SMTPReply(550, .init(5, 7, 23), "SPF check failed for \(outcome.domain)\(why)"))
            }
        }
        if options.scoreReject > 0, state.score.total >= options.scoreReject {
            logger.notice("refused: spam score \(state.score)")
            return .reject(SMTPReply(550, .init(5, 7, 1), "Message refused by policy (score \(state.score.total))"))
        }
        return .accept
    }

    /// The score that sends this transaction's mail to Junk, with its
    /// reasons; nil for mail that goes to INBOX (trusted clients' never goes to Junk).
    public func junkScore(state: PolicyState, user: String?) -> String? {
        guard options.scoreJunk > 0, user == nil, !state.exempt, state.score.total >= options.scoreJunk else { return nil }
        return "\(state.score)"
    }

    // MARK: RCPT

    /// The final verdict on one recipient after the relay decision, and the
    /// pause before answering (the tarpit for recipient probing).
    public func checkRecipient(
        _ verdict: RecipientVerdict, resolution: LocalResolution, path: EnvelopePath, transaction: MailTransaction,
        user: String?, state: PolicyState, client: String, logger: Logger
    ) -> (RecipientVerdict, Duration) {
        let trusted = user != nil || state.exempt
        if case .reject = verdict, resolution == .unknownUser, !trusted {
            switch state.probeGuard.unknownRecipient(hostname: hostname) {
            case .reply(let pause):
                if pause > .zero { logger.warning("tarpit: unknown recipient \(LogField.path(path)), answering after \(pause.shortText)") }
                return (verdict, pause)
            case .drop(let reply, let pause):
                penaltyBox.penalize(client)
                let count = state.probeGuard.unknownRecipients
                logger.notice(
                    "refused: dictionary attack: \(count) unknown recipients, session dropped, \(client) slowed down for \(options.probePenalty.shortText)"
                )
                return (.rejectAndClose(reply), pause)
            }
        }
        guard case .accept(let destination) = verdict else { return (verdict, .zero) }
        if let rate, user != nil || !state.exempt, case .exceeded(let limit) = rate.admitRecipient(from: client, user: user) {
            logger.notice("\(RecipientFate.refused.line(path, LogField.text(limit.description)))")
            return (.reject(limit.reply(hostname: hostname)), .zero)
        }
        if let greylist, !trusted, case .local = destination {
            let sender = transaction.reversePath.mailbox.map { "\($0)" } ?? ""
            let result = greylist.check(clientAddress: client, sender: sender, recipient: "\(path)")
            if let reply = result.reply {
                logger.notice("\(RecipientFate.greylisted.line(path, LogField.text(result.description)))")
                return (.reject(reply), .zero)
            }
        }
        return (verdict, .zero)
    }

    // MARK: Headers

    /// Authentication-Results (RFC 8601) and Received-SPF (RFC 7208 § 9.1)
    /// for a message, prepended above Received. Nothing for trusted clients
    /// and authenticated users: no check ran, and their mail stays as sent.
    public func headers(state: PolicyState, user: String?, client: String, helloName: String?, reversePath: EnvelopePath) -> String {
        guard user == nil, !state.exempt else { return "" }
        var results = AuthenticationResultsHeader(authservID: hostname)
        var received = ""
        if let spf = state.spf {
            results.add(spf.authenticationMethodResult)
            if let spfHelo = state.spfHelo { results.add(spfHelo.authenticationMethodResult) }
            received = spf.receivedSPFHeader(
                clientIP: client, envelopeFrom: reversePath.mailbox.map { "\($0)" } ?? "", helo: helloName ?? "",
                receiver: hostname)
        }
        if let helo = state.helo { results.addNote("helo: \(helo.summary)") }
        if let returnPath = state.returnPath { results.addNote("return-path: \(returnPath)") }
        for entry in state.evidence { results.addNote(entry) }
        if !state.score.entries.isEmpty { results.addNote("score: \(state.score)") }
        return results.rendered() + received
    }
}

/// What the checks found on one connection. Used by that connection's task only.
public final class PolicyState: @unchecked Sendable {
    /// A connection's state before any check has run.
    public init() {}

    var exempt = false
    var blocklistsChecked = false
    var probeGuard = RecipientProbeGuard()
    /// Points from the address lists (once per connection), the HELO check
    /// (its latest HELO) and the sender's domain lists (this transaction).
    var blocklistScore = 0.0
    var heloScore = 0.0
    var senderScore = 0.0
    /// The HELO verification's verdict, for the Received header's verified name.
    public internal(set) var helo: HeloVerdict?
    var returnPath: ReturnPathVerdict?
    var spf: SPFOutcome?
    /// SPF for the HELO name (RFC 7208 § 2.3), once per connection.
    var spfHelo: SPFOutcome?
    /// Listings for the headers: of the client address, and of this transaction's sender domain.
    var connectionEvidence: [String] = []
    var senderEvidence: [String] = []

    var evidence: [String] { connectionEvidence + senderEvidence }

    /// The score of the current transaction, with its reasons.
    var score: SpamScore {
        var score = SpamScore()
        score.add(blocklistScore, check: "dnsbl", reason: "client address listed")
        score.add(heloScore, check: "helo", reason: helo?.summary ?? "")
        score.add(senderScore, check: "rhsbl", reason: "sender domain listed")
        return score
    }

    /// One line for the message's log entry: every check's verdict.
    public var summary: String {
        var parts: [String] = []
        if exempt { parts.append("trusted client") }
        if let helo { parts.append("helo \(helo.isVerified ? "verified" : helo.summary)") }
        if let returnPath { parts.append("return-path \(returnPath.isAccepted ? "ok" : "\(returnPath)")") }
        if let spf { parts.append("spf \(spf.result)") }
        parts.append(contentsOf: evidence)
        if !score.entries.isEmpty { parts.append("score \(score.total)") }
        return parts.joined(separator: ", ")
    }
}
