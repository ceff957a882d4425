import Foundation
import Testing

@testable import Configuration
@testable import Operator

@Suite("Doctor: [tls.acme]")
struct DoctorACMETests {
    @Test("No certificate yet is advice when ACME will order one, critical otherwise")
    func pendingOrder() {
        let pending = CertificateCheck.findings(
            DoctorFixture.facts {
                $0.configuration?.acme = ACMEOptions(directory: "https://acme.example/dir")
                $0.certificate = .missing(path: "/srv/sims/acme/cert.pem")
            })
        #expect(pending.map(\.id) == ["tls.acme-pending"])
        #expect(pending.first?.severity == .advice)
        let missing = CertificateCheck.findings(DoctorFixture.facts { $0.certificate = .missing(path: "/srv/sims/tls/cert.pem") })
        #expect(missing.map(\.id) == ["tls.missing"])
    }

    @Test("A responder off port 80 is advice, named by its own id")
    func listenerAdvice() {
        var configuration = ServerConfiguration()
        configuration.acme = ACMEOptions(directory: "https://acme.example/dir")
        configuration.acme?.httpListen = ListenAddress(host: "0.0.0.0", port: 8080)
        let findings = ConfigurationWarnings.check(configuration).map(ConfigurationCheck.finding(for:))
        #expect(findings.map(\.id) == ["config.acme-http-listen"])
        #expect(findings.first?.severity == .advice)
    }
}
