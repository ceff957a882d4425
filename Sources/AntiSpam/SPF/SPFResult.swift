/// The seven results of check_host() (RFC 7208 § 2.6).
public enum SPFResult: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// No syntactically valid domain, or the domain publishes no SPF record (§ 2.6.1).
    case none
    /// The domain owner explicitly states no assertion (§ 2.6.2); also the
    /// default when no mechanism matches and there is no redirect.
    case neutral
    /// The client is authorized to use the identity (§ 2.6.3).
    case pass
    /// The client is explicitly not authorized (§ 2.6.4): the only result a
    /// receiver may reject on (§ 8.4).
    case fail
    /// "Probably not authorized" (§ 2.6.5).
    case softfail
    /// A transient DNS error: the receiver may try again later (§ 2.6.6).
    case temperror
    /// The published record is broken and needs an operator (§ 2.6.7).
    case permerror

    public var description: String { rawValue }
}

/// Which identity was checked (RFC 7208 § 2.3 and § 2.4).
public enum SPFIdentity: String, Hashable, Sendable {
    /// The RFC 5321 MAIL FROM, or postmaster@HELO when MAIL FROM is empty.
    case mailfrom
    /// The HELO/EHLO name on its own.
    case helo
}

/// What an SPF evaluation found, with enough evidence to log it and to
/// write a Received-SPF header (RFC 7208 § 9.1).
public struct SPFOutcome: Hashable, Sendable, CustomStringConvertible {
    public var result: SPFResult
    /// The directive that decided the result as written in the record
    /// (`-all`, `ip4:192.0.2.0/24`), or `default` when nothing matched.
    public var mechanism: String?
    /// For none, temperror and permerror: what went wrong, in words.
    public var problem: String?
    /// For fail only: the domain's explanation (the exp= modifier, macros
    /// expanded), or nil when the domain gave none or it could not be used.
    public var explanation: String?
    /// The domain whose policy was evaluated (the sender's domain, or HELO).
    public var domain: String
    /// The sender as checked: `local@domain`, `postmaster@helo` when MAIL FROM
    /// was empty.
    public var sender: String
    public var identity: SPFIdentity

    public init(
        result: SPFResult, mechanism: String? = nil, problem: String? = nil, explanation: String? = nil,
        domain: String, sender: String, identity: SPFIdentity
    ) {
        self.result = result
        self.mechanism = mechanism
        self.problem = problem
        self.explanation = explanation
        self.domain = domain
        self.sender = sender
        self.identity = identity
    }

    /// One phrase for the log: `fail (mechanism -all)`, `permerror (too many DNS lookups)`.
    public var description: String {
        if let mechanism { return "\(result) (mechanism \(mechanism))" }
        if let problem { return "\(result) (\(problem))" }
        return result.rawValue
    }
}
