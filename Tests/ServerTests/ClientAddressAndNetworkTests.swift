import Foundation
import Logging
import MailCore
import MailStore
import NIOCore
import NIOPosix
import Policy
import Synchronization
import Testing

@testable import Configuration
@testable import Operator
@testable import Server

@Suite("Client addresses are normalized once, at accept (issue 11)")
struct ClientAddressTests {
    @Test(
        "IPv4-mapped IPv6 is the IPv4 client; IPv6 has one text form",
        arguments: [
            ("::ffff:127.0.0.77", "127.0.0.77"), ("::FFFF:7f00:4d", "127.0.0.77"), ("127.0.0.77", "127.0.0.77"),
            ("2001:DB8:0:0::1", "2001:db8::1"), ("2001:db8::0001", "2001:db8::1"), ("fe80::1%eth0", "fe80::1"),
            ("::1", "::1"),
        ])
    func normalized(_ raw: String, _ expected: String) {
        #expect(ClientAddress.normalized(raw) == expected)
    }

    @Test("From the socket address of an IPv4 client on a dual-stack listener")
    func socketAddress() throws {
        let mapped = try SocketAddress(ipAddress: "::ffff:127.0.0.77", port: 40000)
        #expect(ClientAddress.normalized(mapped) == "127.0.0.77")
        #expect(ClientAddress.normalized(nil as SocketAddress?) == "unknown")
    }

    @Test("A ban on 127.0.0.77 holds for ::ffff:127.0.0.77, and both count as one for connections_per_ip")
    func oneClientWhateverTheSpelling() {
        let guardian = AuthenticationGuard(
            settings: {
                var settings = AuthenticationGuard.Settings()
                settings.banAfter = 2
                return settings
            }())
        _ = guardian.failed(address: ClientAddress.normalized("127.0.0.77"), account: "a")
        _ = guardian.failed(address: ClientAddress.normalized("::ffff:127.0.0.77"), account: "b")
        #expect(guardian.banned(ClientAddress.normalized("::ffff:127.0.0.77")) != nil)
        #expect(guardian.banned("127.0.0.77") != nil)
        let limiter = ConnectionLimiter(maximumTotal: 10, maximumPerAddress: 1)
        let timeouts = SessionTimeouts(.init())
        #expect(limiter.admit(ClientAddress.normalized("127.0.0.77"), timeouts: timeouts) {} != .tooManyFromAddress)
        #expect(limiter.admit(ClientAddress.normalized("::ffff:127.0.0.77"), timeouts: timeouts) {} == .tooManyFromAddress)
    }
}

@Suite("config check warns about client networks that are too wide")
struct ClientNetworkWidthTests {
    func warnings(_ networks: [String]) -> [String] {
        var configuration = ServerConfiguration()
        configuration.clientNetworks = networks.compactMap(IPAddressRange.init)
        #expect(configuration.clientNetworks.count == networks.count, "\(networks) must parse")
        return ConfigurationWarnings.check(configuration)
    }

    @Test("Issue 11: IPv6 ranges that cover IPv4-mapped space", arguments: ["::/80", "::/64", "::/1", "::/72"])
    func mapped(_ network: String) {
        let found = warnings([network])
        #expect(found.contains { $0.contains("IPv4-mapped") && $0.contains(network) }, "\(found)")
    }

    @Test(
        "Public ranges wider than an IPv4 /16 or an IPv6 /48",
        arguments: ["0.0.0.0/1", "8.0.0.0/15", "2001:db8::/32", "2000::/3"])
    func wide(_ network: String) {
        let found = warnings([network])
        #expect(found.contains { $0.contains("wider than") && $0.contains(network) }, "\(found)")
    }

    @Test(
        "Ordinary entries get no such warning",
        arguments: [
            "8.8.8.0/24", "198.51.0.0/16", "2001:db8:1::/48", "10.0.0.0/8", "fd00::/8", "192.0.2.7", "::1", "::ffff:192.0.2.7",
        ])
    func ordinary(_ network: String) {
        let found = warnings([network])
        #expect(!found.contains { $0.contains("IPv4-mapped") || $0.contains("wider than") }, "\(found)")
    }

    @Test("doctor grades them: mapped space is critical, a wide public range a warning")
    func doctorFindings() {
        let mapped = ConfigurationCheck.finding(for: warnings(["::/80"]).first ?? "")
        #expect(mapped.id == "config.client-networks-mapped")
        #expect(mapped.severity == .critical)
        let wide = ConfigurationCheck.finding(for: warnings(["2000::/3"]).first ?? "")
        #expect(wide.id == "config.client-networks-wide")
    }
}

@Suite("relay.pop_before_smtp in sims.toml")
struct PopBeforeSMTPConfigurationTests {
    @Test("relay.pop_before_smtp is off by default, read from sims.toml, and warned about")
    func configuration() {
        #expect(ServerConfiguration().popBeforeSMTP == false)
        #expect(ServerConfiguration().popBeforeSMTPWindow == .seconds(10 * 60))
        #expect(!ConfigurationWarnings.check(ServerConfiguration()).contains { $0.contains("pop_before_smtp") })
        let (c, problems) = ConfigurationLoader.parse(
            """
            [relay]
            pop_before_smtp = true
            pop_before_smtp_window = "3m"
            """)
        #expect(problems.isEmpty, "\(problems)")
        #expect(c.popBeforeSMTP && c.popBeforeSMTPWindow == .seconds(3 * 60))
        let warning = ConfigurationWarnings.check(c).first { $0.contains("pop_before_smtp") }
        #expect(warning?.contains("for 3m after a POP3 login") == true, "\(warning ?? "none")")
        #expect(warning?.contains("SMTP AUTH") == true)
        #expect(ConfigurationLoader.parse("[relay]\npop_before_smtp_window = \"0s\"").1.count == 1)
    }
}
