/// What the audit knows besides the log: the window, the thresholds, and
/// what the configuration says (when the command could read it).
public struct AuditSettings: Sendable {
    /// Lines before this instant (ms since 1970) are not counted.
    public var since: Int64?
    /// Every SMTP and submission listener as `host:port` (`[::]:25`; a bare
    /// host is read too), or nil when unknown.
    public var listeners: [String]?
    /// Local domains from the directory, when it could be read; the log adds
    /// the domains of local mailboxes it sees.
    public var localDomains: Set<String> = []
    /// The configured log level (`[log] level`), when known, and the
    /// per-module levels (`[log.modules]`): below `AuditedLogLevels.needed`
    /// for an audited module, the audit cannot tell.
    public var logLevel: Int?
    public var moduleLevels: [String: Int] = [:]
    /// An account that logged in from more distinct addresses than this is reported.
    public var manyClientsThreshold = 10
    /// Distinct domains and clients per permission, and addresses per
    /// account, are exact up to this; beyond it the report says "more than".
    public var distinctBound = 1000
    /// Relayed messages and recipients are counted exactly by queue id up to
    /// this many in the window.
    public var exactMessageBound = 1_000_000
    /// An account or network relaying to more distinct domains than this is reported.
    public var manyDomainsThreshold = 50
    /// Client-network relaying in these UTC hours is reported.
    public var nightHours = 0..<5
    /// Rows in each table of the report.
    public var tableRows = 10

    public init(since: Int64? = nil, listeners: [String]? = nil) {
        self.since = since
        self.listeners = listeners
    }
}
