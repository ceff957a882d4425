import Foundation
import MailCore
import Testing

@testable import Configuration
@testable import Operator

@Suite("Doctor: configuration and log level")
struct DoctorConfigurationTests {
    @Test("A healthy setup has no problem at all and exit status 0")
    func healthy() {
        let report = DoctorFixture.report(DoctorFixture.facts())
        #expect(report.findings.filter(\.severity.isProblem).isEmpty, "\(report.findings)")
        #expect(report.exitStatus == 0)
        #expect(report.findings.contains { $0.id == "domain.spf" })
        #expect(report.findings.contains { $0.id == "hostname.fcrdns" })
    }

    @Test("Private client networks with a public listener: the NAT trap, with its fix split off")
    func natTrap() {
        let facts = DoctorFixture.facts { $0.configuration?.clientNetworks = [IPAddressRange("192.168.1.0/24")!] }
        let findings = ConfigurationCheck.findings(facts)
        let trap = findings.first { $0.id == "config.client-networks-nat" }
        #expect(trap?.severity == .warning)
        #expect(trap?.found.contains("192.168.1.0/24") == true)
        #expect(trap?.found.contains("open relay") == true)
        #expect(trap?.fix?.hasPrefix("Trust only") == true)
        #expect(DoctorFixture.report(facts).exitStatus == 1)
    }

    @Test("Private client networks with loopback listeners only are no trap")
    func loopbackListenersNoTrap() {
        let facts = DoctorFixture.facts {
            $0.configuration?.clientNetworks = [IPAddressRange("192.168.1.0/24")!]
            $0.configuration?.smtpListeners = [ListenAddress(host: "127.0.0.1", port: 2525)]
            $0.configuration?.submissionListeners = []
        }
        #expect(!DoctorFixture.ids(ConfigurationCheck.findings(facts)).contains("config.client-networks-nat"))
    }

    @Test("Everyone in client_networks is critical")
    func everyoneRelays() {
        let facts = DoctorFixture.facts { $0.configuration?.clientNetworks = [IPAddressRange("0.0.0.0/0")!] }
        let finding = ConfigurationCheck.findings(facts).first { $0.id == "config.open-relay" }
        #expect(finding?.severity == .critical)
        #expect(finding?.fix?.contains("relay.client_networks") == true)
    }

    @Test("POP-before-SMTP and plaintext POP3 are warnings with their fixes")
    func popSettings() {
        let facts = DoctorFixture.facts {
            $0.configuration?.popBeforeSMTP = true
            $0.configuration?.pop3AllowPlaintext = true
        }
        let findings = ConfigurationCheck.findings(facts)
        let pop = findings.first { $0.id == "config.pop-before-smtp" }
        #expect(pop?.severity == .warning)
        #expect(pop?.fix?.hasPrefix("Prefer SMTP AUTH") == true)
        #expect(pop?.found.contains("for 10m after a POP3 login") == true)
        #expect(findings.first { $0.id == "config.pop3-plaintext" }?.fix?.hasPrefix("Use STLS") == true)
        #expect(!findings.contains { $0.id == "config.ok" })
    }

    @Test("Plaintext IMAP logins are a warning with its fix")
    func imapPlaintext() {
        let facts = DoctorFixture.facts { $0.configuration?.imap.allowPlaintext = true }
        let finding = ConfigurationCheck.findings(facts).first { $0.id == "config.imap-plaintext" }
        #expect(finding?.severity == .warning)
        #expect(finding?.fix?.hasPrefix("Use STARTTLS") == true)
    }

    @Test("A warning text the doctor does not know still appears whole, as a warning")
    func unknownWarning() {
        let finding = ConfigurationCheck.finding(for: "antispam.something = off: risky.")
        #expect(finding.id == "config.warning")
        #expect(finding.severity == .warning)
        #expect(finding.found == "antispam.something = off: risky.")
    }

    @Test("An invalid sims.toml is critical, one finding per problem, and the other checks are silent")
    func invalidConfiguration() {
        let facts = DoctorFixture.facts {
            $0.configuration = nil
            $0.dns = nil
            $0.certificate = nil
            $0.configurationProblems = [
                "sims.toml: line 3: limits.bogus: unknown key", "sims.toml: line 9: log.level: must be between 1 and 5",
            ]
        }
        let report = DoctorFixture.report(facts)
        #expect(report.findings.filter { $0.id == "config.invalid" }.count == 2)
        #expect(report.findings.allSatisfy { $0.id == "config.invalid" || $0.check == "disk" || $0.check == "queue" })
        #expect(report.exitStatus == 1)
    }

    @Test("Log level 1, globally or for one audited module, is a warning naming the setting")
    func logLevel() {
        let global = LogLevelCheck.findings(DoctorFixture.facts { $0.configuration?.log.level = 1 })
        #expect(global.map(\.id) == ["log.level-too-low"])
        #expect(global[0].found.contains("SMTP, SUBMIT, POP3, QUEUE"))
        #expect(global[0].found.contains("Problems"))
        #expect(global[0].fix?.contains("[log] level") == true)

        let module = LogLevelCheck.findings(DoctorFixture.facts { $0.configuration?.log.modules = ["QUEUE": 1, "DNS": 1] })
        #expect(module.map(\.id) == ["log.level-too-low"])
        #expect(module[0].found.contains("for QUEUE:"))
        #expect(module[0].fix?.contains("[log.modules] QUEUE") == true)

        let raisedModule = LogLevelCheck.findings(
            DoctorFixture.facts {
                $0.configuration?.log.level = 1
                $0.configuration?.log.modules = ["SMTP": 2, "SUBMIT": 3, "POP3": 2, "QUEUE": 2]
            })
        #expect(raisedModule.map(\.id) == ["log.ok"], "modules raised above a low default are enough")
        #expect(
            LogLevelCheck.findings(DoctorFixture.facts { $0.configuration?.log.modules = ["DNS": 1] }).map(\.id) == ["log.ok"])
    }
}
