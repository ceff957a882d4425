import Configuration
import MailCore

/// Where the SMTP listeners are, compared with where the hostname points:
/// other servers deliver to the hostname's addresses on port 25.
enum ListenerCheck {
    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let configuration = facts.configuration else { return [] }
        let listeners = configuration.smtpListeners
        let listed = listeners.map(\.description).joined(separator: ", ")
        if listeners.isEmpty {
            return [
                finding(
                    "listeners.no-smtp", .advice, "No SMTP listener (smtp.listen is empty): this server receives no mail.",
                    fix: "Set smtp.listen = [\"0.0.0.0:25\"] to receive mail for the local domains.")
            ]
        }
        if listeners.allSatisfy({ isLoopback($0.host) }) {
            return [
                finding(
                    "listeners.loopback-only", .advice,
                    "SMTP listens only on loopback (\(listed)): the server is not reachable from outside, so no other "
                        + "server can deliver mail to it.",
                    fix: "When it is ready for the world, set smtp.listen = [\"0.0.0.0:25\"] (and submission on 587/465).")
            ]
        }
        var findings: [DoctorFinding] = []
        let exposed = listeners.filter { !isLoopback($0.host) }
        if !exposed.contains(where: { $0.port == 25 }) {
            findings.append(
                finding(
                    "listeners.not-port-25", .advice,
                    "SMTP listens on \(listed): other servers deliver only to port 25.",
                    fix: "Listen on port 25, or forward port 25 to \(exposed[0].port) on the router or firewall."))
        }
        findings += compare(exposed, with: facts.dns?.hostname)
        if findings.isEmpty {
            findings.append(finding("listeners.ok", .ok, "SMTP listens on \(listed)."))
        }
        return findings
    }

    /// Specific listener addresses against the hostname's A/AAAA records.
    static func compare(_ listeners: [ListenAddress], with hostname: HostnameFacts?) -> [DoctorFinding] {
        guard let hostname, case .answer(let addresses) = hostname.addresses, !addresses.isEmpty else { return [] }
        let specific = listeners.filter { $0.host != "0.0.0.0" && $0.host != "::" }
        guard specific.count == listeners.count else { return [] }  // a wildcard listener receives on every address
        let published = Set(addresses.compactMap { MailCore.IPAddress($0) })
        if specific.contains(where: { MailCore.IPAddress($0.host).map(published.contains) ?? false }) { return [] }
        let names = addresses.joined(separator: ", ")
        let listed = specific.map(\.description).joined(separator: ", ")
        if specific.allSatisfy({ IPAddressRange($0.host)?.overlapsPrivateOrLoopback ?? false }) {
            return [
                finding(
                    "listeners.behind-nat", .advice,
                    "\(hostname.name) points to \(names) while SMTP listens on the private address(es) \(listed): this "
                        + "works only if the router forwards port 25 to this host.",
                    fix: "Forward port 25 from \(names) to \(specific[0].description). Never trust the router's inside "
                        + "address in relay.client_networks.")
            ]
        }
        return [
            finding(
                "listeners.address-mismatch", .warning,
                "\(hostname.name) points to \(names), but SMTP listens on \(listed): mail sent to \(hostname.name) does "
                    + "not reach this server.",
                fix: "Listen on \(addresses[0]) (or 0.0.0.0), or point \(hostname.name)'s A/AAAA records at this server.")
        ]
    }

    static func isLoopback(_ host: String) -> Bool {
        guard let address = MailCore.IPAddress(host) else { return false }
        return loopback.contains { $0.contains(address) }
    }

    private static let loopback = ["127.0.0.0/8", "::1"].compactMap { IPAddressRange($0) }

    private static func finding(_ id: String, _ severity: DoctorSeverity, _ found: String, fix: String? = nil)
        -> DoctorFinding
    {
        DoctorFinding(check: "listeners", id: id, severity: severity, found: found, fix: fix)
    }
}
