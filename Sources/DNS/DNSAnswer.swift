/// What one response says about one question, once CNAMEs inside it are
/// followed: the records, an alias to ask about next, or a negative answer.
///
/// Pure: the resolver decides what to cache and whether to ask again.
package enum DNSAnswer: Hashable, Sendable {
    /// The RRset of the asked type. `ttl` is the least TTL of the records and
    /// of every CNAME followed to reach them.
    case records([DNSRecordData], ttl: UInt32)
    /// The name is an alias whose target this response does not answer for;
    /// ask again for `target`. `hops` CNAMEs were followed.
    case alias(target: DNSName, ttl: UInt32, hops: Int)
    /// NXDOMAIN. `negativeTTL` is nil when the response carries no SOA: RFC
    /// 2308 § 5 says such answers SHOULD NOT be cached.
    case nameError(negativeTTL: UInt32?)
    /// NOERROR with no records of the type ("NODATA", RFC 2308 § 2.2).
    case noData(negativeTTL: UInt32?)

    /// Interprets `response` for `question`, following at most `maximumHops`
    /// CNAMEs. RFC 1034 § 5.2.2: "In most cases a resolver simply restarts
    /// the query at the new name when it encounters a CNAME", and "Alias
    /// loops and aliases which point to non-existent names should be caught
    /// and an error condition passed back to the client." A hop limit catches
    /// loops of any length.
    ///
    /// Throws `.serverFailure` for an error RCODE other than NXDOMAIN and for
    /// a chain longer than `maximumHops`.
    package static func interpret(_ response: DNSMessage, for question: DNSQuestion, maximumHops: Int)
        throws(DNSError) -> DNSAnswer
    {
        switch response.responseCode {
        case .noError, .nameError: break
        default: throw .serverFailure("\(response.responseCode) for \(question)")
        }
        let relevant = response.answers.filter { $0.recordClass == question.recordClass }
        var name = question.name
        var ttl = UInt32.max
        var hops = 0
        while true {
            let matching = relevant.filter { $0.type == question.type && $0.name.matches(name) }
            if !matching.isEmpty {
                let setTTL = matching.map(\.effectiveTTL).min() ?? 0
                return .records(matching.map(\.data), ttl: min(ttl, setTTL))
            }
            guard question.type != .cname,
                let alias = relevant.first(where: { $0.type == .cname && $0.name.matches(name) }),
                case .cname(let target) = alias.data
            else { break }
            guard hops < maximumHops else { throw .serverFailure("CNAME chain for \(question) is too long") }
            hops += 1
            ttl = min(ttl, alias.effectiveTTL)
            name = target
        }

        // RFC 2308 § 5: "the TTL of this record is set from the minimum of the
        // MINIMUM field of the SOA record and the TTL of the SOA itself".
        let soa = response.authority.lazy.compactMap { record -> UInt32? in
            guard case .soa(let soa) = record.data else { return nil }
            return min(record.effectiveTTL, soa.minimum)
        }.first
        let negativeTTL = soa.map { min($0, ttl) }
        if response.responseCode == .nameError {
            // RFC 2308 § 2.1: after a CNAME chain, NXDOMAIN is about the last name
            // in it; for mail, an alias to nothing is no destination either.
            return .nameError(negativeTTL: negativeTTL)
        }
        // A chain that stops without an SOA: the server (one that does not
        // chase, such as an authoritative-only one) left the rest to us.
        if hops > 0 && soa == nil {
            return .alias(target: name, ttl: ttl, hops: hops)
        }
        return .noData(negativeTTL: negativeTTL)
    }
}
