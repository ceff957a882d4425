import MailCore
import Testing

@testable import Configuration

/// `sims config check`'s NAT trap warning: a private client network and a
/// listener outside clients can reach, by address or through a port forward.
@Suite("config check: the NAT trap, with the listener on a private address and this host's gateways")
struct NATWarningTests {
    func configuration(networks: [String], smtp: [String], submission: [String] = [], submissions: [String] = [])
        -> ServerConfiguration
    {
        var configuration = ServerConfiguration()
        configuration.clientNetworks = networks.compactMap(IPAddressRange.init)
        configuration.smtpListeners = smtp.compactMap { ListenAddress(parsing: $0) }
        configuration.submissionListeners = submission.compactMap { ListenAddress(parsing: $0) }
        configuration.submissionImplicitTLSListeners = submissions.compactMap { ListenAddress(parsing: $0) }
        return configuration
    }

    func natWarning(_ warnings: [String]) -> String? {
        warnings.first { $0.hasPrefix("relay.client_networks contains private or loopback") }
    }

    @Test(
        "A listener on the private address itself is exposed by a port forward: warned",
        arguments: [
            "192.168.1.10:25", "10.0.0.5:25", "[fd00::10]:25", "0.0.0.0:25", "[::]:25", "203.0.113.7:25",
        ])
    func privateListenerWarned(_ listener: String) {
        let warnings = ConfigurationWarnings.check(configuration(networks: ["192.168.1.0/24"], smtp: [listener]))
        let warning = natWarning(warnings)
        #expect(warning?.contains(listener) == true, "\(warnings)")
    }

    @Test("Loopback listeners only: nobody outside reaches them, no warning")
    func loopbackOnly() {
        let warnings = ConfigurationWarnings.check(
            configuration(
                networks: ["192.168.1.0/24"], smtp: ["127.0.0.1:25"], submission: ["[::1]:587"], submissions: ["127.0.0.1:465"]),
            gateways: [IPAddress("192.168.1.1")].compactMap { $0 })
        #expect(warnings.isEmpty, "\(warnings)")
    }

    @Test("The port list names every relaying listener, 465 included")
    func submissionsListed() {
        let warnings = ConfigurationWarnings.check(
            configuration(
                networks: ["10.0.0.0/8"], smtp: ["127.0.0.1:25"], submission: ["127.0.0.1:587"], submissions: ["0.0.0.0:465"]))
        #expect(natWarning(warnings)?.contains("0.0.0.0:465") == true, "\(warnings)")
    }

    @Test("A gateway covered by a client network is named, with what the server does about it")
    func coveredGatewayNamed() {
        let gateways = ["192.168.1.1", "fe80::1"].compactMap(IPAddress.init)
        let warning = natWarning(
            ConfigurationWarnings.check(
                configuration(networks: ["192.168.1.0/24"], smtp: ["192.168.1.10:25"]), gateways: gateways))
        #expect(warning?.contains("default gateway 192.168.1.1 (in 192.168.1.0/24)") == true, "\(warning ?? "none")")
        #expect(warning?.contains("fe80::1") == false)
        #expect(warning?.contains("refuses it relay") == true)
        // The fix still ends the warning, for doctor's split.
        #expect(warning?.contains("Trust only the networks") == true)
    }

    @Test("A gateway listed alone is its own warning, with the fix; doctor grades it a warning")
    func explicitGateway() {
        let gateways = [IPAddress("192.168.1.1")].compactMap { $0 }
        let warnings = ConfigurationWarnings.check(
            configuration(networks: ["192.168.1.0/24", "192.168.1.1/32"], smtp: ["192.168.1.10:25"]), gateways: gateways)
        let warning = warnings.first { $0.contains("names this host's default gateway 192.168.1.1 alone") }
        #expect(warning?.contains("192.168.1.1/32") == true, "\(warnings)")
        #expect(warning?.contains("open relay") == true)
        // The covering network no longer names the gateway as refused.
        #expect(natWarning(warnings)?.contains("refuses it relay") == false)
    }

    @Test("No gateway warnings without gateways")
    func withoutGateways() {
        let warnings = ConfigurationWarnings.check(configuration(networks: ["192.168.1.1"], smtp: ["192.168.1.10:25"]))
        #expect(!warnings.contains { $0.contains("default gateway") }, "\(warnings)")
    }
}

@Suite("The banner's example address")
struct ConnectableListenerTests {
    @Test("A wildcard listener is reached on loopback, with its port; others as they are")
    func connectable() {
        #expect(ListenAddress(host: "0.0.0.0", port: 25).connectable.description == "127.0.0.1:25")
        #expect(ListenAddress(host: "::", port: 2525).connectable.description == "[::1]:2525")
        #expect(ListenAddress(host: "192.168.1.10", port: 25).connectable.description == "192.168.1.10:25")
    }
}
