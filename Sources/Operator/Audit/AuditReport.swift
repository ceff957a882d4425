/// The result of `sims audit`, and the schema of `--format json` (keys in
/// snake_case, sorted; lists in a stable order). `schema` changes only when
/// a field changes meaning or disappears; new fields may be added.
public struct AuditReport: Codable, Equatable, Sendable {
    public var schema = 1
    public var window: Window
    public var counts: Counts
    public var refusedByReason: [Entry]
    public var relayPermissions: [Permission]
    public var refusedRelayByIP: [Entry]
    public var authFailuresByIP: [Entry]
    public var authFailuresByAccount: [Entry]
    public var bansByIP: [Entry]
    /// Accounts that logins were refused for because they were locked.
    public var lockedAccounts: [Entry]
    /// Accounts that logged in (AUTH or POP3) from more than one address,
    /// with the number of addresses (exact up to `distinct_bound`).
    public var accountsByClients: [Entry]
    public var backscatterDomains: [Entry]
    /// Distinct counts above this are reported as "more than" it (`*_over_bound`).
    public var distinctBound: Int
    public var findings: [Finding]
    public var verdict: Verdict

    public struct Window: Codable, Equatable, Sendable {
        /// The `--since` bound, or nil for everything.
        public var since: String?
        /// The first and last line read within the window.
        public var first: String?
        public var last: String?
        public var files: [String]
        /// Lines read in the window, and those among them that no rule knows.
        public var lines: Int
        public var otherLines: Int
        /// Lines that are not SIMS log lines at all.
        public var unparsedLines: Int
    }

    /// Messages and recipients, each counted once, from the lines that report them.
    public struct Counts: Codable, Equatable, Sendable {
        /// `received … bytes` lines: messages accepted with 250.
        public var received = 0
        /// Recipients delivered into a local mailbox.
        public var deliveredLocally = 0
        /// Recipients accepted for relay, and the messages they belong to.
        public var relayed = 0
        public var relayedMessages = 0
        /// Recipients relayed with no permission the audit recognises.
        public var relayedWithoutPermission = 0
        /// Queue outcomes per recipient.
        public var sent = 0
        public var deferred = 0
        public var bounced = 0
        /// Recipients refused with 4xx by greylisting (never accepted).
        public var greylisted = 0
        /// Delivery status notifications sent, and bounces of bounces discarded.
        public var bouncesSent = 0
        public var bouncesDiscarded = 0
        /// Everything refused: recipients (incl. relay), commands refused by
        /// anti-spam checks, and connections.
        public var refused = 0
        public var refusedRelay = 0
        public var refusedConnections = 0
        public var authSuccesses = 0
        public var authFailures = 0
        /// Failed logins refused because the account was locked (also in `auth_failures`).
        public var lockedLogins = 0
        public var bans = 0
        public var popLogins = 0
        public var imapLogins = 0
    }

    public struct Entry: Codable, Equatable, Sendable {
        public var key: String
        public var count: Int
    }

    /// One relay permission that was used: an authenticated account, a
    /// client network entry, or a POP-before-SMTP login (account and address).
    public struct Permission: Codable, Equatable, Sendable {
        /// `authenticated`, `client_network`, `pop_before_smtp`.
        public var kind: String
        /// The account or the network entry as configured.
        public var name: String
        /// POP-before-SMTP: the address the login came from.
        public var client: String?
        public var messages: Int
        public var recipients: Int
        public var first: String
        public var last: String
        /// Recipients relayed 00:00–05:00 UTC.
        public var nightRecipients: Int
        /// Exact up to the bound; `distinct_domains_over_bound` when there were more.
        public var distinctDomains: Int
        public var distinctDomainsOverBound: Bool
        public var topDomains: [Entry]
        /// Client addresses that used it (top 5), and how many there were.
        public var clients: [Entry]
        public var clientCount: Int
        public var clientCountOverBound: Bool
        /// Those of its clients that were this host's default gateway when
        /// they relayed (the NAT trap: they may stand for any outside client).
        public var gatewayClients: [String] = []
    }

    public struct Finding: Codable, Equatable, Sendable {
        /// `critical` (open relay), `warning` (look at it), `note` (a check could not run).
        public var severity: String
        /// `open_relay`, `many_domains`, `many_clients`, `night_relay`,
        /// `private_network_public_listener`, `backscatter`, `lockout`,
        /// `listeners_unknown`, `low_log_level`, `no_log`, `gateway_relay`
        /// (relays for this host's default gateway), `gateway_refused` (a note).
        public var kind: String
        public var message: String
    }

    public struct Verdict: Codable, Equatable, Sendable {
        /// `ok`, `warning`, `open_relay`, `cannot_tell` (the log cannot show
        /// every relay: levels too low, or no log).
        public var status: String
        public var text: String
    }
}
