import Foundation
import Testing

@testable import Configuration
@testable import Operator

@Suite("Doctor: TLS certificate")
struct DoctorCertificateTests {
    let now = DoctorFixture.now
    let day = DoctorFixture.day

    func certificate(notAfter: Date, names: [String] = ["mx.example.org"], selfSigned: Bool = false) -> DoctorFacts {
        DoctorFixture.facts {
            $0.certificate = .loaded(
                CertificateSummary(
                    path: "/srv/sims/tls/cert.pem", notBefore: now - 100 * day, notAfter: notAfter, names: names,
                    selfSigned: selfSigned))
        }
    }

    @Test("Expired is critical, expiring within 21 days a warning, later ok")
    func validity() {
        #expect(CertificateCheck.findings(certificate(notAfter: now - 3 * day)).map(\.severity) == [.critical])
        #expect(CertificateCheck.findings(certificate(notAfter: now - 3 * day))[0].id == "tls.expired")
        #expect(CertificateCheck.findings(certificate(notAfter: now - 3 * day))[0].found.contains("3 days ago"))
        #expect(CertificateCheck.findings(certificate(notAfter: now + 20 * day)).map(\.id) == ["tls.expiring"])
        #expect(CertificateCheck.findings(certificate(notAfter: now + 20 * day))[0].severity == .warning)
        #expect(CertificateCheck.findings(certificate(notAfter: now + 22 * day)).map(\.id) == ["tls.valid"])
    }

    @Test("Missing or unusable certificates are critical")
    func missing() {
        let missing = CertificateCheck.findings(DoctorFixture.facts { $0.certificate = .missing(path: "/srv/sims/tls/cert.pem") })
        #expect(missing.map(\.id) == ["tls.missing"])
        #expect(missing[0].severity == .critical)
        let unusable = CertificateCheck.findings(
            DoctorFixture.facts { $0.certificate = .unusable(path: "/x.pem", reason: "the key /k.pem is missing") })
        #expect(unusable.map(\.id) == ["tls.unusable"])
        #expect(unusable[0].found.contains("the key /k.pem is missing"))
    }

    @Test("Self-signed is advice only")
    func selfSigned() {
        let findings = CertificateCheck.findings(certificate(notAfter: now + 400 * day, selfSigned: true))
        #expect(findings.map(\.id) == ["tls.valid", "tls.self-signed"])
        #expect(findings[1].severity == .advice)
    }

    @Test("Names that do not cover the hostname are a warning; a wildcard covers one label")
    func names() {
        #expect(
            CertificateCheck.findings(certificate(notAfter: now + 400 * day, names: ["mail.other.org"])).map(\.id)
                == ["tls.valid", "tls.name-mismatch"])
        #expect(
            CertificateCheck.findings(certificate(notAfter: now + 400 * day, names: ["*.example.org"])).map(\.id) == ["tls.valid"]
        )
        #expect(
            CertificateCheck.findings(certificate(notAfter: now + 400 * day, names: ["MX.Example.ORG."])).map(\.id) == [
                "tls.valid"
            ])
        #expect(!CertificateCheck.matches(pattern: "*.example.org", hostname: "a.mx.example.org"))
        #expect(!CertificateCheck.matches(pattern: "*.org", hostname: "example.org"))
    }

    @Test("The certificate sims init writes is read back: names, dates, self-signed")
    func inspectsGeneratedCertificate() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-cert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cert = "\(directory)/cert.pem"
        let key = "\(directory)/key.pem"
        try SelfSignedCertificate.write(hostname: "mx.example.org", certificatePath: cert, keyPath: key)
        guard case .loaded(let summary) = CertificateInspection.facts(certificatePath: cert, keyPath: key) else {
            Issue.record("the certificate was not loaded")
            return
        }
        #expect(summary.names == ["mx.example.org"])
        #expect(summary.selfSigned)
        #expect(summary.notAfter > Date().addingTimeInterval(3000 * 86_400))

        #expect(
            CertificateInspection.facts(certificatePath: "\(directory)/none.pem", keyPath: key)
                == .missing(path: "\(directory)/none.pem"))
        try "not a certificate\n".write(toFile: "\(directory)/bad.pem", atomically: true, encoding: .utf8)
        guard case .unusable = CertificateInspection.facts(certificatePath: "\(directory)/bad.pem", keyPath: key) else {
            Issue.record("garbage must be unusable")
            return
        }
        // A key that belongs to another certificate: the server could not start TLS with it.
        try SelfSignedCertificate.write(
            hostname: "other.example.org", certificatePath: "\(directory)/c2.pem", keyPath: "\(directory)/k2.pem")
        guard case .unusable(_, let reason) = CertificateInspection.facts(certificatePath: cert, keyPath: "\(directory)/k2.pem")
        else {
            Issue.record("a mismatched key must be unusable")
            return
        }
        #expect(reason.contains("could not load"))
    }
}
