/// What the audit knows besides the log: the window, the thresholds, and
/// what the configuration says (when the command could read it).
public struct AuditSettings: Sendable {
    /// Lines before this instant (ms since 1970) are not counted.
    public var since: Int64?
    /// `host` of every SMTP and submission listener, or nil when unknown.
    public var listenerHosts: [String]?
    /// Local domains from the directory, when it could be read; the log adds
    /// the domains of local mailboxes it sees.
    public var localDomains: Set<String> = []
    /// The configured log level, when known: below 2 the fates are not logged.
    public var logLevel: Int?
    /// An account or network relaying to more distinct domains than this is reported.
    public var manyDomainsThreshold = 50
    /// Client-network relaying in these UTC hours is reported.
    public var nightHours = 0..<5
    /// Rows in each table of the report.
    public var tableRows = 10

    public init(since: Int64? = nil, listenerHosts: [String]? = nil) {
        self.since = since
        self.listenerHosts = listenerHosts
    }
}
