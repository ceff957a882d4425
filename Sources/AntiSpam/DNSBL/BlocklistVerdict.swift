import DNS

/// What one blocklist said about one address or domain.
public struct BlocklistVerdict: Sendable, Hashable {
    /// The list's answer, as a mail server has to act on it.
    public enum Outcome: Sendable, Hashable {
        /// An answer in the list's "listed" set; the TXT record's text when
        /// there is one (fetched only for listings).
        case listed(reason: String?)
        /// NXDOMAIN, or only answers that mean nothing (RFC 5782 § 2.3).
        case notListed
        /// The list answered 127.255.255.x: it refuses this resolver, or
        /// failed. Never a listing.
        case refused
        /// No usable answer: timeout, SERVFAIL, malformed reply. A mail server
        /// fails open on it.
        case noAnswer(DNSError)
    }

    public var list: BlocklistConfiguration
    /// The address or domain looked up, as given: `127.0.0.2`, `spammer.test`.
    public var subject: String
    /// The DNS name asked: `2.0.0.127.zen.spamhaus.org`.
    public var queryName: String
    /// The A records the list answered, in the server's order.
    public var answers: [String]
    public var outcome: Outcome

    public init(list: BlocklistConfiguration, subject: String, queryName: String, answers: [String], outcome: Outcome) {
        self.list = list
        self.subject = subject
        self.queryName = queryName
        self.answers = answers
        self.outcome = outcome
    }

    public var isListed: Bool {
        if case .listed = outcome { return true }
        return false
    }

    /// Listed on a list whose action is to reject.
    public var rejects: Bool { isListed && list.action == .reject }

    /// The score this verdict adds: the list's score when listed, else 0.
    public var score: Double {
        guard isListed, case .score(let value) = list.action else { return 0 }
        return value
    }

    /// The TXT reason of a listing, if any.
    public var reason: String? {
        if case .listed(let reason) = outcome { return reason }
        return nil
    }
}

extension Array where Element == BlocklistVerdict {
    /// The first listing on a rejecting list, in configuration order: the one
    /// the 554 reply names.
    public var firstRejection: BlocklistVerdict? { first { $0.rejects } }

    /// The sum of the scores of the scoring lists that list the subject.
    public var totalScore: Double { reduce(0) { $0 + $1.score } }
}
