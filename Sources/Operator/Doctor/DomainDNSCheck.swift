/// Each local domain's DNS: MX records pointing at this server, an SPF
/// record, a DMARC record.
enum DomainDNSCheck {
    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let dns = facts.dns, let hostname = facts.configuration?.hostname else { return [] }
        return dns.domains.flatMap { mx($0, hostname: hostname) + spf($0) + dmarc($0) }
    }

    static func mx(_ domain: DomainFacts, hostname: String) -> [DoctorFinding] {
        let name = domain.name
        let add = "Add the record \(name). MX 10 \(hostname)."
        switch domain.mx {
        case .failed(let reason):
            return [HostnameCheck.unchecked("the MX records of \(name)", reason, check: "domain")]
        case .noSuchName:
            return [
                finding(
                    "domain.no-such-name", .warning,
                    "The local domain \(name) does not exist in the DNS: nobody can send mail to it.",
                    fix: "Register \(name), or publish its zone, with an MX record pointing at \(hostname).")
            ]
        case .answer(let records) where records.isEmpty:
            return [
                finding(
                    "domain.mx-missing", .warning,
                    "\(name) has no MX record: senders fall back to its A record, if it has one, which rarely is this "
                        + "server.", fix: add)
            ]
        case .answer(let records):
            let sorted = records.sorted { $0.preference < $1.preference }
            if sorted.contains(where: { $0.exchange == "." || $0.exchange.isEmpty }) {
                return [
                    finding(
                        "domain.null-mx", .warning,
                        "\(name) has a null MX record (RFC 7505): it announces that the domain accepts no mail.",
                        fix: "Replace it: \(name). MX 10 \(hostname).")
                ]
            }
            let targets = sorted.map { "\($0.exchange) (\($0.preference))" }.joined(separator: ", ")
            if sorted.contains(where: { HostnameCheck.same($0.exchange, hostname) }) {
                return [finding("domain.mx", .ok, "\(name) MX → \(targets).")]
            }
            return [
                finding(
                    "domain.mx-elsewhere", .warning,
                    "\(name) MX points to \(targets), not to this server (\(hostname)): mail for \(name) is "
                        + "delivered there.",
                    fix: "If this server should receive \(name)'s mail: \(add) If another host receives it and "
                        + "forwards it here, nothing to do.")
            ]
        }
    }

    static func spf(_ domain: DomainFacts) -> [DoctorFinding] {
        let name = domain.name
        let suggestion = "Publish the TXT record \(name). TXT \"v=spf1 mx -all\" (mail from \(name) comes from its MX hosts)."
        switch domain.txt {
        case .failed(let reason):
            return [HostnameCheck.unchecked("the SPF record of \(name)", reason, check: "domain")]
        case .noSuchName:
            return []  // reported once, by the MX check
        case .answer(let records):
            let spf = records.filter(isSPF)
            if spf.isEmpty {
                return [
                    finding(
                        "domain.spf-missing", .warning,
                        "\(name) has no SPF record: others cannot tell your mail from forgeries, and may refuse or "
                            + "file it as spam.", fix: suggestion)
                ]
            }
            if spf.count > 1 {
                return [
                    finding(
                        "domain.spf-multiple", .warning,
                        "\(name) has \(spf.count) SPF records: RFC 7208 § 4.5 makes that a permanent error, as if "
                            + "there were none.", fix: "Merge them into one record.")
                ]
            }
            if spf[0].lowercased().split(separator: " ").contains(where: { $0 == "+all" || $0 == "all" }) {
                return [
                    finding(
                        "domain.spf-all", .warning,
                        "\(name)'s SPF record \"\(spf[0])\" allows every host in the world to send as \(name).",
                        fix: "End it with -all (or ~all) instead: \"v=spf1 mx -all\".")
                ]
            }
            return [finding("domain.spf", .ok, "\(name) SPF: \"\(spf[0])\".")]
        }
    }

    static func dmarc(_ domain: DomainFacts) -> [DoctorFinding] {
        let name = domain.name
        var records: [String] = []
        switch domain.dmarc {
        case .failed(let reason):
            return [HostnameCheck.unchecked("the DMARC record of \(name)", reason, check: "domain")]
        case .noSuchName: break
        case .answer(let found): records = found
        }
        if let record = records.first(where: { $0.lowercased().hasPrefix("v=dmarc1") }) {
            return [finding("domain.dmarc", .ok, "\(name) DMARC: \"\(record)\".")]
        }
        if case .noSuchName = domain.mx { return [] }
        return [
            finding(
                "domain.dmarc-missing", .advice,
                "\(name) has no DMARC record: receivers get no policy for mail that fails SPF, and you get no "
                    + "reports about forgeries.",
                fix: "Publish _dmarc.\(name). TXT \"v=DMARC1; p=none; rua=mailto:postmaster@\(name)\" and "
                    + "tighten p= once the reports look right.")
        ]
    }

    /// RFC 7208 § 4.5: a record that starts with "v=spf1" followed by a
    /// space or nothing.
    static func isSPF(_ record: String) -> Bool {
        let lower = record.lowercased()
        return lower == "v=spf1" || lower.hasPrefix("v=spf1 ")
    }

    private static func finding(_ id: String, _ severity: DoctorSeverity, _ found: String, fix: String? = nil)
        -> DoctorFinding
    {
        DoctorFinding(check: "domain", id: id, severity: severity, found: found, fix: fix)
    }
}
