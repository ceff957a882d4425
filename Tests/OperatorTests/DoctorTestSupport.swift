import Foundation
import MailCore

@testable import Configuration
@testable import Operator

/// Made-up facts for the doctor's checks: a healthy default that each test
/// spoils in one way.
enum DoctorFixture {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let day: TimeInterval = 86_400

    static func facts(_ change: (inout DoctorFacts) -> Void = { _ in }) -> DoctorFacts {
        var facts = DoctorFacts(dataDirectory: "/srv/sims", now: now)
        var configuration = ServerConfiguration()
        configuration.hostname = "mx.example.org"
        configuration.smtpListeners = [ListenAddress(host: "0.0.0.0", port: 25)]
        facts.configuration = configuration
        facts.localDomains = ["example.org"]
        facts.certificate = .loaded(
            CertificateSummary(
                path: "/srv/sims/tls/cert.pem", notBefore: now - 30 * day, notAfter: now + 60 * day,
                names: ["mx.example.org"], selfSigned: false))
        facts.queue = QueueFacts(count: 0, oldest: nil)
        facts.disk = DiskFacts(path: "/srv/sims", totalBytes: 100 << 30, availableBytes: 50 << 30)
        facts.dns = DNSFacts(
            hostname: HostnameFacts(
                name: "mx.example.org", addresses: .answer(["192.0.2.25"]),
                reverse: ["192.0.2.25": .answer(["mx.example.org."])]),
            domains: [healthyDomain("example.org")])
        change(&facts)
        return facts
    }

    static func healthyDomain(_ name: String) -> DomainFacts {
        DomainFacts(
            name: name, mx: .answer([MailExchanger(preference: 10, exchange: "mx.example.org")]),
            txt: .answer(["google-site-verification=abc", "v=spf1 mx -all"]),
            dmarc: .answer(["v=DMARC1; p=reject"]))
    }

    static func ids(_ findings: [DoctorFinding]) -> [String] { findings.map(\.id) }

    static func report(_ facts: DoctorFacts) -> DoctorReport { DoctorCheck.report(facts) }
}
