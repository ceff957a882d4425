import Configuration
/// sims.toml: problems that keep the server from starting (critical), and
/// the risky-but-valid settings `ConfigurationWarnings` explains, each as a
/// finding with its fix.
enum ConfigurationCheck {
    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        var findings = facts.configurationProblems.map {
            DoctorFinding(
                check: "config", id: "config.invalid", severity: .critical, found: $0,
                fix:
                    "Correct sims.toml; 'sims config check' names every bad key and its line. The server will not start as it is."
            )
        }
        guard let configuration = facts.configuration else { return findings }
        if let problem = facts.directoryProblem {
            findings.append(
                DoctorFinding(
                    check: "config", id: "config.directory-unreadable", severity: .critical,
                    found: "The directory of domains and accounts cannot be read: \(problem).",
                    fix: "Check storage.database in sims.toml and the file's owner and permissions."))
        }
        let warnings = ConfigurationWarnings.check(configuration, gateways: facts.gateways)
        findings += warnings.map(finding(for:))
        if warnings.isEmpty {
            let networks = configuration.clientNetworks.isEmpty ? "" : " or a trusted client network"
            findings.append(
                DoctorFinding(
                    check: "config", id: "config.ok", severity: .ok,
                    found: "sims.toml is valid; relaying needs SMTP AUTH\(networks)."))
        }
        return findings
    }

    /// A warning of `ConfigurationWarnings` as a finding. Its text explains
    /// the risk and ends with the remedy; the remedy is split off at the
    /// sentence known to start it, so a reworded warning still shows whole.
    static func finding(for warning: String) -> DoctorFinding {
        for known in knownWarnings where warning.contains(known.prefix) {
            var found = warning
            var fix = known.fix
            if let marker = known.fixStart, let range = warning.range(of: marker) {
                found = String(warning[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
                fix = String(warning[range.lowerBound...])
            }
            return DoctorFinding(check: "config", id: known.id, severity: known.severity, found: found, fix: fix)
        }
        return DoctorFinding(
            check: "config", id: "config.warning", severity: .warning, found: warning,
            fix: "See docs/configuration.md for the key named above.")
    }

    private struct KnownWarning {
        var prefix: String  // a phrase of the warning that identifies it
        var id: String
        var severity: DoctorSeverity
        /// Where the remedy begins in the warning's text.
        var fixStart: String?
        /// The remedy when the text has none (or it was reworded).
        var fix: String
    }

    private static let knownWarnings = [
        KnownWarning(
            prefix: "everyone may relay", id: "config.open-relay", severity: .critical, fixStart: nil,
            fix: "Remove it from relay.client_networks: list only the networks your own users' machines are in, "
                + "and let everyone else use SMTP AUTH on the submission port."),
        KnownWarning(
            prefix: "relay.client_networks contains private or loopback", id: "config.client-networks-nat",
            severity: .warning, fixStart: "Trust only",
            fix: "Trust only the networks that really reach this host directly, or use SMTP AUTH for your users."),
        KnownWarning(
            prefix: "names this host's default gateway", id: "config.client-networks-gateway", severity: .warning,
            fixStart: "Keep the entry only",
            fix: "Keep the entry only if the gateway itself sends mail and its port forwards keep the client's address; "
                + "otherwise remove it."),
        KnownWarning(
            prefix: "also covers IPv4-mapped", id: "config.client-networks-mapped", severity: .critical,
            fixStart: "Write IPv4 networks",
            fix: "Write IPv4 networks in IPv4 form and keep IPv6 entries of relay.client_networks to your own prefix."),
        KnownWarning(
            prefix: "which covers public addresses wider than", id: "config.client-networks-wide", severity: .warning,
            fixStart: "Trust only the addresses",
            fix: "Trust only the addresses your own clients use, or use SMTP AUTH for your users."),
        KnownWarning(
            prefix: "pop3.allow_plaintext", id: "config.pop3-plaintext", severity: .warning, fixStart: "Use STLS",
            fix: "Set pop3.allow_plaintext = false; clients use STLS or port 995."),
        KnownWarning(
            prefix: "imap.allow_plaintext", id: "config.imap-plaintext", severity: .warning, fixStart: "Use STARTTLS",
            fix: "Set imap.allow_plaintext = false; clients use STARTTLS or port 993."),
        KnownWarning(
            prefix: "relay.pop_before_smtp", id: "config.pop-before-smtp", severity: .warning, fixStart: "Prefer SMTP AUTH",
            fix: "Prefer SMTP AUTH on the submission port (587/465); keep relay.pop_before_smtp_window short if you must."),
        KnownWarning(
            prefix: "tls.acme.http_listen", id: "config.acme-http-listen", severity: .advice, fixStart: nil,
            fix: "Set tls.acme.http_listen = \"0.0.0.0:80\" (or \"[::]:80\"), or forward port 80 of the public address here."),
    ]
}
