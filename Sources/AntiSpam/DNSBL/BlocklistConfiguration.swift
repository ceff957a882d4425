import MailCore

/// One DNS blocklist as the operator configured it: where to ask, which
/// answers mean "listed", and what a listing does to the mail.
///
/// RFC 5782 § 2.3: an answer in 127.0.0.0/8 means listed, and lists may give
/// different addresses different meanings. Several large lists answer
/// 127.255.255.x (Spamhaus: 127.255.255.252-255) when they refuse to answer a
/// resolver, for example a public one; taking that for a listing would reject
/// every client, so such answers are reported as refusals and never listed.
public struct BlocklistConfiguration: Sendable, Hashable {
    /// What the list holds: client addresses (a DNSxL) or domain names (an RHSBL).
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Reversed IPv4 octets or IPv6 nibbles under the zone (RFC 5782 § 2.1, § 2.4).
        case ip
        /// Domain names under the zone (RFC 5782 § 2.2), e.g. the MAIL FROM domain.
        case domain
    }

    /// What a listing does.
    public enum Action: Sendable, Hashable {
        /// Refuse with 554 5.7.1 and the list's reason.
        case reject
        /// Add this much to the message's spam score and go on.
        case score(Double)
    }

    /// Any 127.0.0.0/8 answer counts, unless `refusedAnswers` claims it.
    public static let defaultListedAnswers: [IPAddressRange] = [IPAddressRange("127.0.0.0/8")!]
    /// The "query refused / error" answers of Spamhaus and others.
    public static let defaultRefusedAnswers: [IPAddressRange] = [IPAddressRange("127.255.255.0/24")!]

    /// The list's DNS zone, lowercased, without a trailing dot: `zen.spamhaus.org`.
    public var zone: String
    public var kind: Kind
    /// Answers that mean listed, e.g. `127.0.0.2-127.0.0.11` for Spamhaus ZEN.
    public var listedAnswers: [IPAddressRange]
    /// Answers that mean the list refused or failed to answer. They win over
    /// `listedAnswers` when both match.
    public var refusedAnswers: [IPAddressRange]
    public var action: Action
    /// A name for people ("Spamhaus ZEN"); the zone when nil.
    public var name: String?

    public init(
        zone: String, kind: Kind = .ip, listedAnswers: [IPAddressRange] = Self.defaultListedAnswers,
        refusedAnswers: [IPAddressRange] = Self.defaultRefusedAnswers, action: Action = .reject, name: String? = nil
    ) {
        self.zone = BlocklistQueryName.normalizedDomain(zone)
        self.kind = kind
        self.listedAnswers = listedAnswers
        self.refusedAnswers = refusedAnswers
        self.action = action
        self.name = name
    }

    /// The name shown to people: the configured name or the zone.
    public var displayName: String { name ?? zone }

    /// How one A record from the list reads.
    public enum AnswerMeaning: Sendable, Hashable {
        case listed, refused, ignored
    }

    /// Classifies one answer. Anything outside both sets is ignored: RFC 5782
    /// § 2.3 puts listings in 127/8, and a zone that answers with a public
    /// address is usually a dead list whose domain now has a wildcard record.
    public func meaning(ofAnswer answer: String) -> AnswerMeaning {
        guard let address = MailCore.IPAddress(answer), address.isIPv4 else { return .ignored }
        if refusedAnswers.contains(where: { $0.contains(address) }) { return .refused }
        if listedAnswers.contains(where: { $0.contains(address) }) { return .listed }
        return .ignored
    }
}
