/// The hostname in DNS: it must have addresses, and each address's PTR
/// record must name it again (forward-confirmed reverse DNS). Many receivers
/// refuse or mark as spam mail from an address without a matching PTR.
enum HostnameCheck {
    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let host = facts.dns?.hostname else { return [] }
        let name = host.name
        switch host.addresses {
        case .failed(let reason):
            return [unchecked("the addresses of \(name)", reason)]
        case .noSuchName:
            return [
                finding(
                    "hostname.no-such-name", .warning,
                    "The hostname \(name) does not exist in the DNS: other servers cannot check who is sending, and "
                        + "many refuse the mail.",
                    fix: "Add an A (and AAAA) record for \(name) pointing at this server's public address.")
            ]
        case .answer(let addresses) where addresses.isEmpty:
            return [
                finding(
                    "hostname.no-address", .warning, "The hostname \(name) has no A or AAAA records.",
                    fix: "Add an A (and AAAA) record for \(name) pointing at this server's public address.")
            ]
        case .answer(let addresses):
            return addresses.map { reverse(of: $0, lookup: host.reverse[$0], hostname: name) }
        }
    }

    static func reverse(of address: String, lookup: DoctorLookup<[String]>?, hostname: String) -> DoctorFinding {
        let fix = "Ask whoever runs the address \(address) (your provider) to set its PTR record to \(hostname)."
        switch lookup ?? .failed("not asked") {
        case .failed(let reason):
            return unchecked("the PTR record of \(address)", reason)
        case .noSuchName, .answer([]):
            return finding(
                "hostname.ptr-missing", .warning,
                "\(hostname) has the address \(address), which has no PTR record: many receivers refuse mail from "
                    + "hosts without reverse DNS.", fix: fix)
        case .answer(let names):
            if names.contains(where: { same($0, hostname) }) {
                return finding(
                    "hostname.fcrdns", .ok, "\(hostname) → \(address) → \(hostname): forward-confirmed reverse DNS.")
            }
            return finding(
                "hostname.ptr-mismatch", .warning,
                "\(hostname) has the address \(address), whose PTR record names \(names.joined(separator: ", ")), not "
                    + "\(hostname): receivers that check forward-confirmed reverse DNS distrust or refuse the mail.",
                fix: fix + " Or set hostname to the name the PTR record gives, if that name points back to \(address).")
        }
    }

    /// Host names compared case-insensitively, without the final dot.
    static func same(_ a: String, _ b: String) -> Bool {
        func plain(_ text: String) -> String { text.hasSuffix(".") ? String(text.dropLast()).lowercased() : text.lowercased() }
        return plain(a) == plain(b)
    }

    /// A lookup that got no answer: said plainly, and not counted as a problem.
    static func unchecked(_ what: String, _ reason: String, check: String = "hostname") -> DoctorFinding {
        DoctorFinding(
            check: check, id: "\(check).unchecked", severity: .advice, found: "Could not check \(what): \(reason).",
            fix: "Run 'sims doctor' again when DNS answers, or name a working server with --dns.")
    }

    private static func finding(_ id: String, _ severity: DoctorSeverity, _ found: String, fix: String? = nil)
        -> DoctorFinding
    {
        DoctorFinding(check: "hostname", id: id, severity: severity, found: found, fix: fix)
    }
}
