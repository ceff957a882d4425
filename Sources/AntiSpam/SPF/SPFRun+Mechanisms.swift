import DNS

extension SPFRun {
    /// Whether `mechanism` matches the client (RFC 7208 § 5). DNS trouble
    /// throws temperror; an include whose target has no record, permerror.
    mutating func matches(_ mechanism: SPFRecord.Mechanism, domain: String) async throws(SPFAbort) -> Bool {
        let client = context.client
        switch mechanism {
        case .all:
            return true
        case .ip4(let network, let length), .ip6(let network, let length):
            return client.matches(network, prefixLength: length)
        case .a(let spec, let cidr):
            guard let target = await target(spec, domain: domain) else { return false }
            let addresses = try await addresses(of: target, countVoid: true)
            return addresses.contains { client.matches($0, ipv4Length: cidr.ipv4, ipv6Length: cidr.ipv6) }
        case .mx(let spec, let cidr):
            guard let target = await target(spec, domain: domain) else { return false }
            return try await matchesMX(target, cidr: cidr)
        case .ptr(let spec):
            guard let target = await target(spec, domain: domain) else { return false }
            let (names, void) = await validatedNames()
            if void { try countVoidLookup("PTR of \(client.readableForm)") }
            return names.contains { SPFDomainName.isSame($0, orSubdomainOf: target) }
        case .exists(let spec):
            guard let target = await target(spec, domain: domain) else { return false }
            // § 5.7: always an A query, whatever the client's address family.
            return
                !(try await lookup(target, countVoid: true) { (resolver, name) async throws(DNSError) in
                    try await resolver.a(name)
                }).isEmpty
        case .include(let spec):
            let target = await expand(spec, domain: domain)
            let verdict = try await check(target, wantsExplanation: false)
            switch verdict.result {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            // § 5.2: an included domain without a record is a permerror.
            default: throw .permerror("include:\(spec.text): \(verdict.problem ?? "no SPF record")")
            }
        }
    }

    /// The expanded <target-name>, or the current domain when the mechanism
    /// names none; nil when the expansion is not a usable domain name, which
    /// then cannot match.
    private func target(_ spec: SPFMacroString?, domain: String) async -> String? {
        guard let spec else { return domain }
        let name = await expand(spec, domain: domain)
        return SPFDomainName.isValid(name) ? name : nil
    }

    /// § 5.4: at most 10 exchangers, each looked up for the client's family.
    private mutating func matchesMX(_ target: String, cidr: SPFRecord.CIDR) async throws(SPFAbort) -> Bool {
        let records = try await lookup(target, countVoid: true) { (resolver, name) async throws(DNSError) in
            try await resolver.mx(name)
        }
        // A null MX (RFC 7505) names the root: no exchanger to match.
        let exchanges = records.map(\.exchange).filter { $0 != "." && !$0.isEmpty }
        guard exchanges.count <= limits.mxNames else {
            throw .permerror("mx:\(target) has \(exchanges.count) exchangers, more than \(limits.mxNames)")
        }
        let client = context.client
        for exchange in exchanges {
            let addresses = try await addresses(of: exchange, countVoid: false)
            if addresses.contains(where: { client.matches($0, ipv4Length: cidr.ipv4, ipv6Length: cidr.ipv6) }) { return true }
        }
        return false
    }

    /// A or AAAA records of `name`, whichever the client's family is.
    private mutating func addresses(of name: String, countVoid: Bool) async throws(SPFAbort) -> [String] {
        let ipv4 = context.client.isIPv4
        return try await lookup(name, countVoid: countVoid) { (resolver, name) async throws(DNSError) in
            ipv4 ? try await resolver.a(name) : try await resolver.aaaa(name)
        }
    }

    /// One query: NXDOMAIN and NODATA are empty (and count as void lookups
    /// when `countVoid`); any other DNS error is a temperror (§ 5).
    private mutating func lookup<Record>(
        _ name: String, countVoid: Bool,
        _ query: (any DNSResolving, String) async throws(DNSError) -> [Record]
    ) async throws(SPFAbort) -> [Record] {
        var records: [Record] = []
        do {
            records = try await query(resolver, name)
        } catch {
            guard case .nameDoesNotExist = error else { throw .temperror("lookup of \(name): \(error)") }
        }
        if records.isEmpty && countVoid { try countVoidLookup(name) }
        return records
    }

    /// The client's validated host names (§ 5.5): PTR names (the first 10)
    /// whose A/AAAA records include the client, and whether the PTR lookup
    /// itself was void. DNS errors only shorten the list: they never make the
    /// ptr mechanism or %{p} an error.
    func validatedNames() async -> (names: [String], void: Bool) {
        let client = context.client
        let names: [String]
        do {
            names = try await resolver.ptr(client.readableForm)
        } catch {
            if case .nameDoesNotExist = error { return ([], true) }
            return ([], false)
        }
        var validated: [String] = []
        for name in names.prefix(limits.ptrNames) {
            let addresses: [String]
            do {
                addresses = client.isIPv4 ? try await resolver.a(name) : try await resolver.aaaa(name)
            } catch {
                continue
            }
            if addresses.contains(where: { client.matches($0, ipv4Length: 32, ipv6Length: 128) }) { validated.append(name) }
        }
        return (validated, names.isEmpty)
    }

    /// %{p} (§ 7.3): a validated name equal to or under `target`, else any
    /// validated name, else "unknown".
    func validatedName(target: String) async -> String {
        let trimmed = await validatedNames().names.map { SPFDomainName.truncated($0) }
        return trimmed.first { SPFDomainName.isSame($0, orSubdomainOf: target) } ?? trimmed.first ?? "unknown"
    }
}
