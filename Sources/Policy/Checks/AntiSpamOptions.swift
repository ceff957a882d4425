import AntiSpam
import MailCore
import NIOCore

/// `[antispam]`, `[[antispam.dnsbl]]`, `[antispam.tarpit]`,
/// `[antispam.greylisting]` and `[limits.rate]`: the checks a client must
/// pass before its mail is accepted. Authenticated users, client networks and
/// `exempt_networks` are never checked; everything else is.
public struct AntiSpamOptions: Sendable {
    /// Where a check runs: DNS blocklists at connect (before the greeting) or at MAIL.
    public enum CheckPoint: String, Sendable, CaseIterable { case connect, mail }
    /// What an SPF `fail` does: nothing at all, a header only, or a refusal.
    public enum SPFMode: String, Sendable, CaseIterable { case off, header, reject }

    /// Clients never checked besides client networks: loopback by default, so
    /// local tools and the demo work without DNS.
    public var exemptNetworks: [IPAddressRange] = [IPAddressRange("127.0.0.0/8")!, IPAddressRange("::1")!]
    /// Each DNS question of a check waits at most half of this (one attempt
    /// per server); a question without an answer fails open.
    public var dnsTimeout: Duration = .seconds(5)
    public var blocklists: [BlocklistConfiguration] = []
    public var blocklistCheck: CheckPoint = .connect
    /// nil: HELO is not verified at all ("off").
    public var heloMode: HeloPolicy.Mode? = .log
    public var verifyReturnPath = true
    public var spf: SPFMode = .header
    /// Total score of `score` actions at which a message is refused (0: never).
    public var scoreReject: Double = 5
    /// Total score at which accepted mail goes to the recipients' Junk
    /// folder instead of INBOX (0: never). Below `scoreReject` to matter.
    public var scoreJunk: Double = 0
    public var rate = RateLimits()
    public var tarpit = RecipientProbeGuard.Settings()
    /// How long an address dropped for probing recipients starts slowed down.
    public var probePenalty: Duration = .seconds(30 * 60)
    public var greylisting = false
    public var greylist = GreylistSettings()

    public init() {}

    /// Whether any check needs to see the HELO name / the sender.
    var checksHello: Bool { heloMode != nil }
    var checksSender: Bool {
        verifyReturnPath || spf != .off || blocklistCheck == .mail && !blocklists.isEmpty
            || blocklists.contains { $0.kind == .domain } || rate.messagesPerIP > 0 || rate.messagesPerUser > 0
    }
}
