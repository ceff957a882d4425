/// A host to deliver to, with the addresses to try in order.
public struct MailExchanger: Hashable, Sendable {
    public var host: String
    public var preference: UInt16
    /// IPv4 addresses first, then IPv6.
    public var addresses: [String]

    public init(host: String, preference: UInt16, addresses: [String]) {
        self.host = host
        self.preference = preference
        self.addresses = addresses
    }
}

/// Where mail for a domain goes, or why it goes nowhere.
public enum MailRoute: Hashable, Sendable {
    /// The exchangers in the order to try them; never empty.
    case exchangers([MailExchanger])
    /// RFC 7505 null MX ("0 ."): the domain accepts no mail. Fail at once,
    /// permanently, without trying its A/AAAA (RFC 7505 § 4.1); RFC 7505
    /// defines 556 / 5.1.10 "Recipient address has null MX" for the bounce.
    case nullMX
    /// Permanent: the domain does not exist ("If a non-existent domain error
    /// is returned, this situation MUST be reported as an error"), or it has
    /// no MX and no address of its own, or none of its MX hosts exists ("If
    /// MX records are present, but none of them are usable, or the implicit
    /// MX is unusable, this situation MUST be reported as an error"), RFC
    /// 5321 § 5.1. The queue bounces all three the same way.
    case noSuchDomain
}

/// Turns a domain into the list of hosts to try (RFC 5321 § 5.1).
public struct MailExchangerLookup: Sendable {
    private let resolver: any DNSResolving
    private let randomize: @Sendable ([MailExchanger]) -> [MailExchanger]

    /// `randomize` reorders exchangers of equal preference; tests pass a
    /// deterministic one.
    public init(
        resolver: any DNSResolving, randomize: @escaping @Sendable ([MailExchanger]) -> [MailExchanger] = { $0.shuffled() }
    ) {
        self.resolver = resolver
        self.randomize = randomize
    }

    /// The route for `domain`.
    ///
    /// Temporary DNS failures are thrown: "If a temporary error is returned,
    /// the message MUST be queued and retried later" (RFC 5321 § 5.1). One
    /// exception: an exchanger whose addresses cannot be looked up right
    /// now is skipped when another exchanger did resolve, since delivery can
    /// go ahead without it. Only when nothing resolved does such an error
    /// surface.
    public func route(for domain: String) async throws(DNSError) -> MailRoute {
        let records: [MXRecord]
        do {
            records = try await resolver.mx(domain)
        } catch .nameDoesNotExist {
            return .noSuchDomain
        }

        // RFC 7505 § 3: a null MX is a single MX RR whose exchange is the root
        // (a zero-length label, "." in master files). Any preference counts:
        // the intent is unmistakable either way.
        if records.count == 1 && Self.isRoot(records[0].exchange) { return .nullMX }

        if records.isEmpty {
            // RFC 5321 § 5.1: "If an empty list of MXs is returned, the address
            // is treated as if it was associated with an implicit MX RR, with a
            // preference of 0, pointing to that host."
            do {
                let addresses = try await addresses(of: domain)
                return addresses.isEmpty
                    ? .noSuchDomain : .exchangers([MailExchanger(host: domain, preference: 0, addresses: addresses)])
            } catch .nameDoesNotExist {
                return .noSuchDomain
            }
        }

        // RFC 5321 § 5.1: "Multiple MX records contain a preference indication
        // that MUST be used in sorting ... Lower numbers are more preferred
        // than higher ones." A host listed twice keeps its lowest preference.
        // A root exchange among others breaks RFC 7505 § 3 ("A domain that
        // advertises a null MX MUST NOT advertise any other MX RR"); it leads
        // nowhere and is dropped, and the real exchangers are used.
        var best: [String: MXRecord] = [:]
        var order: [String] = []
        for record in records where !Self.isRoot(record.exchange) {
            let key = record.exchange.lowercased()
            if let seen = best[key] {
                if record.preference < seen.preference { best[key] = record }
            } else {
                best[key] = record
                order.append(key)
            }
        }
        let sorted = order.compactMap { best[$0] }.enumerated().sorted {
            ($0.element.preference, $0.offset) < ($1.element.preference, $1.offset)
        }.map(\.element)

        var resolved: [MailExchanger] = []
        var temporaryFailure: DNSError? = nil
        for record in sorted {
            do {
                let addresses = try await addresses(of: record.exchange)
                if !addresses.isEmpty {
                    resolved.append(MailExchanger(host: record.exchange, preference: record.preference, addresses: addresses))
                }
            } catch {
                if error.isTemporary { temporaryFailure = temporaryFailure ?? error }
            }
        }
        if resolved.isEmpty {
            if let temporaryFailure { throw temporaryFailure }
            return .noSuchDomain
        }

        // RFC 5321 § 5.1: "If there are multiple destinations with the same
        // preference and there is no clear reason to favor one ..., then the
        // sender-SMTP MUST randomize them to spread the load across multiple
        // mail exchangers for a specific organization." Randomizing after the
        // address lookups keeps the groups intact when an exchanger drops out.
        var ordered: [MailExchanger] = []
        var start = 0
        while start < resolved.count {
            var end = start + 1
            while end < resolved.count && resolved[end].preference == resolved[start].preference { end += 1 }
            ordered += randomize(Array(resolved[start..<end]))
            start = end
        }
        return .exchangers(ordered)
    }

    /// A host's IPv4 then IPv6 addresses.
    ///
    /// Both families are always asked for, even after NXDOMAIN for A: some
    /// servers wrongly answer NXDOMAIN for a name that has only AAAA records,
    /// and one extra query is cheap next to losing a working exchanger. An
    /// error is thrown only when neither family gave an address; a temporary
    /// one wins over NXDOMAIN, so that the caller retries rather than bounces.
    private func addresses(of host: String) async throws(DNSError) -> [String] {
        var addresses: [String] = []
        var failures: [DNSError] = []
        do { addresses += try await resolver.a(host) } catch { failures.append(error) }
        do { addresses += try await resolver.aaaa(host) } catch { failures.append(error) }
        if addresses.isEmpty, let failure = failures.first(where: \.isTemporary) ?? failures.first { throw failure }
        return addresses
    }

    private static func isRoot(_ exchange: String) -> Bool { exchange == "." || exchange.isEmpty }
}
