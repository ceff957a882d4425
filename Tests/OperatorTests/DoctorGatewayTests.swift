import MailCore
import Testing

@testable import Configuration
@testable import Operator

/// `sims doctor` shows the NAT trap as `sims config check` does, with this
/// host's default gateways from the route table.
@Suite("Doctor: client networks and this host's default gateway")
struct DoctorGatewayTests {
    @Test("A private listener behind a port forward, with the gateway covered: the NAT finding names the gateway")
    func coveredGateway() {
        let facts = DoctorFixture.facts {
            $0.configuration?.smtpListeners = [ListenAddress(host: "192.168.1.10", port: 25)]
            $0.configuration?.clientNetworks = [IPAddressRange("192.168.1.0/24")!]
            $0.gateways = [IPAddress("192.168.1.1")!]
        }
        let trap = ConfigurationCheck.findings(facts).first { $0.id == "config.client-networks-nat" }
        #expect(trap?.severity == .warning)
        #expect(trap?.found.contains("192.168.1.10:25") == true)
        #expect(trap?.found.contains("default gateway 192.168.1.1") == true, "\(trap?.found ?? "none")")
        #expect(trap?.fix?.hasPrefix("Trust only") == true)
    }

    @Test("The gateway listed alone is its own finding, with its fix split off")
    func explicitGateway() {
        let facts = DoctorFixture.facts {
            $0.configuration?.clientNetworks = [IPAddressRange("192.168.1.0/24")!, IPAddressRange("192.168.1.1")!]
            $0.gateways = [IPAddress("192.168.1.1")!]
        }
        let finding = ConfigurationCheck.findings(facts).first { $0.id == "config.client-networks-gateway" }
        #expect(finding?.severity == .warning)
        #expect(finding?.found.contains("192.168.1.1") == true)
        #expect(finding?.fix?.hasPrefix("Keep the entry only") == true)
    }
}
