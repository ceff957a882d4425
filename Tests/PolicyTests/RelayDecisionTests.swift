import MailCore
import SMTPProtocol
import Testing

@testable import Policy

/// `RelayDecision.permission`, case by case: each reason alone, the
/// precedence when several hold, address spellings, and no permission.
@Suite("RelayDecision: the one function that decides the relay permission")
struct RelayDecisionTests {
    let networks = ["192.168.0.0/24", "10.0.0.0/8", "2001:db8::/32"].compactMap(IPAddressRange.init)

    func grant(_ address: String, account: String = "pop@example.test") -> RelayPermissionGrant {
        RelayPermissionGrant(account: account, address: address, age: .seconds(90))
    }

    func decide(
        user: String? = nil, client: String, networks: [IPAddressRange]? = nil, grant: RelayPermissionGrant? = nil
    ) -> RelayPermission? {
        RelayDecision.permission(
            authenticatedUser: user, clientAddress: client, clientNetworks: networks ?? self.networks, popBeforeSMTP: grant
        ).permission
    }

    @Test("No reason: no permission")
    func nothing() {
        #expect(decide(client: "203.0.113.5") == nil)
        #expect(decide(client: "203.0.113.5", networks: []) == nil)
        #expect(decide(client: "2001:db9::1") == nil)
    }

    @Test("Authenticated alone, from any address")
    func authenticatedAlone() {
        #expect(decide(user: "alice@example.test", client: "203.0.113.5") == .authenticated("alice@example.test"))
        #expect(decide(user: "alice@example.test", client: "unknown", networks: []) == .authenticated("alice@example.test"))
    }

    @Test("Client network alone names the entry that matched, as written")
    func clientNetworkAlone() {
        #expect(decide(client: "192.168.0.77") == .clientNetwork("192.168.0.0/24"))
        #expect(decide(client: "10.1.2.3") == .clientNetwork("10.0.0.0/8"))
        #expect(decide(client: "2001:db8::7") == .clientNetwork("2001:db8::/32"))
        #expect(decide(client: "192.168.1.1") == nil, "just outside the /24")
    }

    @Test("The first matching entry wins when networks overlap")
    func firstNetworkWins() {
        let overlapping = ["10.0.0.0/8", "10.1.0.0/16"].compactMap(IPAddressRange.init)
        #expect(decide(client: "10.1.2.3", networks: overlapping) == .clientNetwork("10.0.0.0/8"))
    }

    @Test("POP-before-SMTP alone, for the grant's own address")
    func popBeforeSMTPAlone() {
        #expect(
            decide(client: "203.0.113.5", grant: grant("203.0.113.5"))
                == .popBeforeSMTP(account: "pop@example.test", address: "203.0.113.5", loginAge: .seconds(90)))
    }

    @Test("A grant for another address is no permission")
    func grantForAnotherAddress() {
        #expect(decide(client: "203.0.113.5", grant: grant("203.0.113.6")) == nil)
        #expect(decide(client: "203.0.113.5", grant: grant("not an address")) == nil)
        #expect(decide(client: "not an address", grant: grant("not an address")) == nil)
    }

    @Test("Authenticated beats client network and POP-before-SMTP")
    func authenticatedWins() {
        #expect(
            decide(user: "alice@example.test", client: "192.168.0.7", grant: grant("192.168.0.7"))
                == .authenticated("alice@example.test"))
        #expect(decide(user: "alice@example.test", client: "192.168.0.7") == .authenticated("alice@example.test"))
        #expect(
            decide(user: "alice@example.test", client: "203.0.113.5", grant: grant("203.0.113.5"))
                == .authenticated("alice@example.test"))
    }

    @Test("The POP-before-SMTP table is asked only when nothing stronger holds")
    func grantAskedLast() {
        var asked = 0
        func lookUp() -> RelayPermissionGrant? {
            asked += 1
            return grant("192.168.0.7")
        }
        _ = RelayDecision.permission(
            authenticatedUser: "alice@example.test", clientAddress: "192.168.0.7", clientNetworks: [],
            popBeforeSMTP: lookUp())
        _ = RelayDecision.permission(
            authenticatedUser: nil, clientAddress: "192.168.0.7", clientNetworks: networks, popBeforeSMTP: lookUp())
        #expect(asked == 0)
        _ = RelayDecision.permission(
            authenticatedUser: nil, clientAddress: "192.168.0.7", clientNetworks: [], popBeforeSMTP: lookUp())
        #expect(asked == 1)
    }

    @Test("Client network beats POP-before-SMTP")
    func networkBeatsGrant() {
        #expect(decide(client: "192.168.0.7", grant: grant("192.168.0.7")) == .clientNetwork("192.168.0.0/24"))
    }

    @Test("An IPv4-mapped IPv6 client is the IPv4 client, for networks and grants")
    func ipv4Mapped() {
        #expect(decide(client: "::ffff:192.168.0.7") == .clientNetwork("192.168.0.0/24"))
        let mappedEntry = ["::ffff:192.168.0.7"].compactMap(IPAddressRange.init)
        #expect(decide(client: "192.168.0.7", networks: mappedEntry) == .clientNetwork("::ffff:192.168.0.7"))
        #expect(
            decide(client: "::ffff:203.0.113.5", grant: grant("203.0.113.5"))
                == .popBeforeSMTP(account: "pop@example.test", address: "203.0.113.5", loginAge: .seconds(90)))
        #expect(decide(client: "::ffff:203.0.113.5", grant: grant("203.0.113.6")) == nil)
    }

    @Test("IPv6 spellings of one address match the same grant")
    func ipv6Spellings() {
        #expect(decide(client: "2001:DB9:0:0::1", grant: grant("2001:db9::1")) != nil)
    }

    @Test("The client-network match the anti-spam exemption uses is the same one")
    func clientNetworkMatch() {
        let mapped = IPAddress("::ffff:10.9.9.9")
        #expect(mapped.flatMap { RelayDecision.trustedEntry(containing: $0, in: networks, gateways: []) }?.text == "10.0.0.0/8")
        let outside = IPAddress("203.0.113.5")
        #expect(outside.flatMap { RelayDecision.trustedEntry(containing: $0, in: networks, gateways: []) } == nil)
    }
}
