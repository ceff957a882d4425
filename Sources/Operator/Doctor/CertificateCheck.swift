import Foundation
import SMTPClient

/// The TLS certificate: present, loadable, valid now and for a while, issued
/// by a CA, and naming the server's hostname.
enum CertificateCheck {
    /// A certificate expiring sooner than this is a warning: time to renew.
    static let renewalWindow: TimeInterval = 21 * 86_400

    static func findings(_ facts: DoctorFacts) -> [DoctorFinding] {
        guard let certificate = facts.certificate else { return [] }
        let hostname = facts.configuration?.hostname
        switch certificate {
        case .missing(let path) where facts.configuration?.acme != nil:
            // [tls.acme]: `sims serve` puts a self-signed stand-in there and orders at once.
            return [
                finding(
                    "tls.acme-pending", .advice,
                    "No certificate at \(path) yet: `sims serve` orders one by ACME when it starts (a self-signed "
                        + "one stands in for the seconds that takes).",
                    fix: "Start the server and look for 'ACME certificate issued' in the log.")
            ]
        case .missing(let path):
            return [
                finding(
                    "tls.missing", .critical,
                    "No TLS certificate at \(path): STARTTLS is off, so passwords and mail cross the network unencrypted "
                        + "and submission clients cannot authenticate.",
                    fix: "Put a certificate and its key at tls.certificate / tls.key (PEM), e.g. from Let's Encrypt.")
            ]
        case .unusable(let path, let reason):
            return [
                finding(
                    "tls.unusable", .critical, "The TLS certificate \(path) cannot be used: \(reason). STARTTLS is off.",
                    fix: "Install a PEM certificate and its matching private key at tls.certificate / tls.key.")
            ]
        case .loaded(let summary):
            return validity(summary, now: facts.now) + issuer(summary) + names(summary, hostname: hostname)
        }
    }

    static func validity(_ summary: CertificateSummary, now: Date) -> [DoctorFinding] {
        let renew = "Renew it and replace the files; the running server picks them up within 10 s (or on SIGHUP)."
        if summary.notAfter <= now {
            return [
                finding(
                    "tls.expired", .critical,
                    "The TLS certificate \(summary.path) expired on \(day(summary.notAfter)) "
                        + "(\(DoctorTime.age(now.timeIntervalSince(summary.notAfter))) ago): clients that check "
                        + "certificates refuse to connect or fall back to plain text.", fix: renew)
            ]
        }
        if summary.notBefore > now {
            return [
                finding(
                    "tls.not-yet-valid", .critical,
                    "The TLS certificate \(summary.path) is valid only from \(day(summary.notBefore)).",
                    fix: "Check the system clock, or install a certificate that is valid now.")
            ]
        }
        let left = summary.notAfter.timeIntervalSince(now)
        if left < renewalWindow {
            return [
                finding(
                    "tls.expiring", .warning,
                    "The TLS certificate \(summary.path) expires on \(day(summary.notAfter)), in "
                        + "\(DoctorTime.age(left)).", fix: renew)
            ]
        }
        return [
            finding(
                "tls.valid", .ok,
                "The TLS certificate \(summary.path) is valid until \(day(summary.notAfter)) "
                    + "(\(DoctorTime.age(left))).")
        ]
    }

    static func issuer(_ summary: CertificateSummary) -> [DoctorFinding] {
        guard summary.selfSigned else { return [] }
        return [
            finding(
                "tls.self-signed", .advice,
                "The TLS certificate is self-signed: fine for tests and for servers that deliver to you (they rarely "
                    + "check), but mail clients warn about it or refuse it.",
                fix: "Use a certificate from a CA (Let's Encrypt is free) for the names clients use on ports 587/465 "
                    + "and 25.")
        ]
    }

    static func names(_ summary: CertificateSummary, hostname: String?) -> [DoctorFinding] {
        guard let hostname else { return [] }
        if summary.names.contains(where: { matches(pattern: $0, hostname: hostname) }) { return [] }
        let listed = summary.names.isEmpty ? "no names" : summary.names.joined(separator: ", ")
        return [
            finding(
                "tls.name-mismatch", .warning,
                "The TLS certificate names \(listed), not the hostname \(hostname): clients that check names reject it.",
                fix: "Get a certificate whose subject alternative names include \(hostname), or set hostname to a name "
                    + "the certificate covers.")
        ]
    }

    /// RFC 6125 § 6.4.3, the same rule the SMTP client applies to MX hosts.
    static func matches(pattern: String, hostname: String) -> Bool {
        CertificateNameCheck.matches(pattern: pattern, hostname: hostname)
    }

    private static func day(_ date: Date) -> String { DoctorTime.day(date) }

    private static func finding(_ id: String, _ severity: DoctorSeverity, _ found: String, fix: String? = nil)
        -> DoctorFinding
    {
        DoctorFinding(check: "tls", id: id, severity: severity, found: found, fix: fix)
    }
}
