/// RFC 2606 § 2 / RFC 6761 § 6: top-level names reserved for testing and
/// documentation. They have no public DNS, so asking about their MX or SPF
/// records says nothing about the setup (the demo domain is example.test).
enum ReservedNames {
    static let topLevelDomains: Set<String> = ["test", "example", "invalid", "localhost"]

    static func isReserved(_ name: String) -> Bool {
        var name = Substring(name.lowercased())
        if name.hasSuffix(".") { name = name.dropLast() }
        let last = name.split(separator: ".").last.map(String.init) ?? ""
        return topLevelDomains.contains(last)
    }
}

/// One line about DNS checks that were not made: `--offline`, or names under
/// reserved test TLDs.
enum DNSScopeCheck {
    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        if let reason = facts.dnsSkipped {
            return [
                DoctorFinding(
                    check: "dns", id: "dns.skipped", severity: .advice,
                    found: "DNS checks skipped (\(reason)): hostname A/PTR records, MX, SPF and DMARC were not looked at.",
                    fix: "Run 'sims doctor' without --offline on a host that can reach a DNS server.")
            ]
        }
        guard let configuration = facts.configuration else { return [] }
        let names = [configuration.hostname] + (facts.localDomains ?? [])
        let reserved = names.filter(ReservedNames.isReserved)
        guard !reserved.isEmpty else { return [] }
        return [
            DoctorFinding(
                check: "dns", id: "dns.reserved-names", severity: .advice,
                found: "DNS checks skipped for \(reserved.joined(separator: ", ")): reserved test names "
                    + "(.test, .example, .invalid, .localhost) have no public DNS.",
                fix: "For a real server, set hostname and the local domains to names you own.")
        ]
    }
}
