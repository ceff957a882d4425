import Foundation
import Testing

@testable import Configuration
@testable import Operator

@Suite("Doctor: hostname, listeners and domain DNS")
struct DoctorDNSCheckTests {
    @Test("A PTR that names another host is a warning; no PTR too; a failed lookup is only 'could not check'")
    func reverseDNS() {
        let mismatch = HostnameCheck.findings(
            DoctorFixture.facts {
                $0.dns?.hostname?.reverse = ["192.0.2.25": .answer(["host-192-0-2-25.isp.example.net."])]
            })
        #expect(mismatch.map(\.id) == ["hostname.ptr-mismatch"])
        #expect(mismatch[0].found.contains("host-192-0-2-25.isp.example.net."))
        #expect(mismatch[0].severity == .warning)

        let none = HostnameCheck.findings(DoctorFixture.facts { $0.dns?.hostname?.reverse = ["192.0.2.25": .noSuchName] })
        #expect(none.map(\.id) == ["hostname.ptr-missing"])

        let failed = HostnameCheck.findings(
            DoctorFixture.facts { $0.dns?.hostname?.reverse = ["192.0.2.25": .failed("DNS timeout: no reply")] })
        #expect(failed.map(\.id) == ["hostname.unchecked"])
        #expect(failed[0].severity == .advice)
        #expect(failed[0].found.hasPrefix("Could not check"))
    }

    @Test("A hostname without addresses, or absent from the DNS, is a warning")
    func addresses() {
        #expect(
            HostnameCheck.findings(DoctorFixture.facts { $0.dns?.hostname?.addresses = .noSuchName }).map(\.id)
                == ["hostname.no-such-name"])
        #expect(
            HostnameCheck.findings(DoctorFixture.facts { $0.dns?.hostname?.addresses = .answer([]) }).map(\.id)
                == ["hostname.no-address"])
        #expect(
            HostnameCheck.findings(DoctorFixture.facts { $0.dns?.hostname?.addresses = .failed("timeout") }).map(\.severity)
                == [.advice])
    }

    @Test("Loopback-only listeners: not reachable from outside (advice, no DNS needed)")
    func loopbackListeners() {
        let findings = ListenerCheck.findings(
            DoctorFixture.facts {
                $0.configuration?.smtpListeners = [
                    ListenAddress(host: "127.0.0.1", port: 2525), ListenAddress(host: "::1", port: 2525),
                ]
                $0.dns = nil
            })
        #expect(findings.map(\.id) == ["listeners.loopback-only"])
        #expect(findings[0].severity == .advice)
        #expect(findings[0].found.contains("not reachable from outside"))
    }

    @Test("A public listener on another address than the hostname's is a warning; a private one behind NAT advice")
    func listenerAddresses() {
        let elsewhere = ListenerCheck.findings(
            DoctorFixture.facts { $0.configuration?.smtpListeners = [ListenAddress(host: "198.51.100.9", port: 25)] })
        #expect(elsewhere.map(\.id) == ["listeners.address-mismatch"])
        let nat = ListenerCheck.findings(
            DoctorFixture.facts { $0.configuration?.smtpListeners = [ListenAddress(host: "192.168.1.5", port: 25)] })
        #expect(nat.map(\.id) == ["listeners.behind-nat"])
        let same = ListenerCheck.findings(
            DoctorFixture.facts { $0.configuration?.smtpListeners = [ListenAddress(host: "192.0.2.25", port: 25)] })
        #expect(same.map(\.id) == ["listeners.ok"])
        let highPort = ListenerCheck.findings(
            DoctorFixture.facts { $0.configuration?.smtpListeners = [ListenAddress(host: "0.0.0.0", port: 2525)] })
        #expect(highPort.map(\.id) == ["listeners.not-port-25"])
    }

    @Test("Missing SPF is a warning with the suggested record; missing DMARC advice")
    func spfAndDMARC() {
        let facts = DoctorFixture.facts {
            $0.dns?.domains = [
                DomainFacts(
                    name: "example.org", mx: .answer([MailExchanger(preference: 10, exchange: "mx.example.org.")]),
                    txt: .answer(["google-site-verification=abc"]), dmarc: .noSuchName)
            ]
        }
        let findings = DomainDNSCheck.findings(facts)
        #expect(findings.map(\.id) == ["domain.mx", "domain.spf-missing", "domain.dmarc-missing"])
        #expect(findings[1].found.contains("others cannot tell your mail from forgeries"))
        #expect(findings[1].fix?.contains("\"v=spf1 mx -all\"") == true)
        #expect(findings[2].severity == .advice)
    }

    @Test("Two SPF records, or one that ends in +all, are warnings")
    func badSPF() {
        func spf(_ records: [String]) -> [String] {
            var domain = DoctorFixture.healthyDomain("example.org")
            domain.txt = .answer(records)
            return DomainDNSCheck.spf(domain).map(\.id)
        }
        #expect(spf(["v=spf1 mx -all", "v=spf1 a -all"]) == ["domain.spf-multiple"])
        #expect(spf(["v=spf1 +all"]) == ["domain.spf-all"])
        #expect(spf(["v=spf10 mx"]) == ["domain.spf-missing"], "v=spf10 is not an SPF record")
        #expect(spf(["V=SPF1 mx ~all"]) == ["domain.spf"])
    }

    @Test("MX elsewhere says where it points; no MX, null MX and no such domain are warnings")
    func mx() {
        func check(_ lookup: DoctorLookup<[MailExchanger]>) -> [DoctorFinding] {
            var domain = DoctorFixture.healthyDomain("example.org")
            domain.mx = lookup
            return DomainDNSCheck.mx(domain, hostname: "mx.example.org")
        }
        let elsewhere = check(
            .answer([MailExchanger(preference: 20, exchange: "b.mx.net"), MailExchanger(preference: 5, exchange: "a.mx.net")]))
        #expect(elsewhere.map(\.id) == ["domain.mx-elsewhere"])
        #expect(elsewhere[0].found.contains("a.mx.net (5), b.mx.net (20)"))
        #expect(check(.answer([])).map(\.id) == ["domain.mx-missing"])
        #expect(check(.answer([MailExchanger(preference: 0, exchange: ".")])).map(\.id) == ["domain.null-mx"])
        #expect(check(.noSuchName).map(\.id) == ["domain.no-such-name"])
        #expect(check(.failed("timeout")).map(\.severity) == [.advice])
    }

    @Test("Reserved test names get one advice line; --offline another; neither is a problem")
    func scope() {
        let demo = DoctorFixture.facts {
            $0.configuration?.hostname = "mx.example.test"
            $0.localDomains = ["example.test", "example.org", "lab.localhost"]
        }
        let reserved = DNSScopeCheck.findings(demo)
        #expect(reserved.map(\.id) == ["dns.reserved-names"])
        #expect(reserved[0].found.contains("mx.example.test, example.test, lab.localhost"))
        #expect(!reserved[0].found.contains("example.org,"))
        #expect(DNSScopeCheck.findings(DoctorFixture.facts()).isEmpty)
        let offline = DoctorFixture.facts {
            $0.dns = nil
            $0.dnsSkipped = "--offline"
        }
        #expect(DNSScopeCheck.findings(offline).map(\.id) == ["dns.skipped"])
        #expect(HostnameCheck.findings(offline).isEmpty && DomainDNSCheck.findings(offline).isEmpty)
        #expect(DoctorFixture.report(offline).exitStatus == 0)
        #expect(ReservedNames.isReserved("EXAMPLE.TEST.") && !ReservedNames.isReserved("test.example.org"))
    }
}
