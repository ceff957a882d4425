import MailCore
import SMTPProtocol
import Testing

@testable import Policy

/// The NAT trap in `RelayDecision.permission`: behind a port forward that
/// masquerades the source, every outside client appears as this host's
/// default gateway, so a network that merely covers the gateway must not
/// trust it.
@Suite("RelayDecision: this host's default gateway is trusted only when listed alone")
struct GatewayRelayTests {
    let gateway = "192.168.1.1"
    let gateways: Set<IPAddress> = Set(["192.168.1.1", "fd00::1"].compactMap(IPAddress.init))
    let lan = ["192.168.1.0/24"].compactMap(IPAddressRange.init)

    func decide(
        user: String? = nil, client: String, networks: [String], grant: RelayPermissionGrant? = nil
    ) -> RelayDecision.Outcome {
        RelayDecision.permission(
            authenticatedUser: user, clientAddress: client, clientNetworks: networks.compactMap(IPAddressRange.init),
            gateways: gateways, popBeforeSMTP: grant)
    }

    func grant(_ address: String) -> RelayPermissionGrant {
        RelayPermissionGrant(account: "pop@example.test", address: address, age: .seconds(30))
    }

    @Test("The gateway covered only by a network is refused, with the gateway as the reason")
    func coveredGatewayRefused() {
        let outcome = decide(client: gateway, networks: ["192.168.1.0/24"])
        #expect(outcome == .refused(.defaultGateway(client: gateway)))
        #expect(outcome.permission == nil)
        #expect(decide(client: "fd00::1", networks: ["fd00::/8"]) == .refused(.defaultGateway(client: "fd00::1")))
        #expect(decide(client: gateway, networks: ["192.168.1.1-192.168.1.2"]) == .refused(.defaultGateway(client: gateway)))
    }

    @Test(
        "The gateway listed alone relays, however the single address is written",
        arguments: ["192.168.1.1", "192.168.1.1/32", "192.168.1.1-192.168.1.1", "::ffff:192.168.1.1"])
    func explicitGatewayRelays(_ entry: String) {
        #expect(decide(client: gateway, networks: ["192.168.1.0/24", entry]) == .permitted(.clientNetwork(entry)))
        #expect(decide(client: gateway, networks: [entry, "192.168.1.0/24"]) == .permitted(.clientNetwork(entry)))
    }

    @Test("An authenticated user behind the gateway still relays: AUTH names an account")
    func authenticatedFromGateway() {
        #expect(
            decide(user: "alice@example.test", client: gateway, networks: []) == .permitted(.authenticated("alice@example.test")))
        #expect(
            decide(user: "alice@example.test", client: gateway, networks: ["192.168.1.0/24"])
                == .permitted(.authenticated("alice@example.test")))
    }

    @Test("A POP-before-SMTP login from the gateway opens nothing: every outsider behind the NAT would inherit it")
    func popBeforeSMTPFromGateway() {
        #expect(decide(client: gateway, networks: [], grant: grant(gateway)) == .refused(.defaultGateway(client: gateway)))
        #expect(decide(client: gateway, networks: [gateway], grant: grant(gateway)) == .permitted(.clientNetwork(gateway)))
    }

    @Test("Other LAN clients relay as before; outsiders are refused as before")
    func ordinaryClients() {
        #expect(decide(client: "192.168.1.77", networks: ["192.168.1.0/24"]) == .permitted(.clientNetwork("192.168.1.0/24")))
        #expect(decide(client: "203.0.113.5", networks: ["192.168.1.0/24"]) == .refused(.noPermission(client: "203.0.113.5")))
        #expect(
            decide(client: "203.0.113.5", networks: [], grant: grant("203.0.113.5"))
                == .permitted(.popBeforeSMTP(account: "pop@example.test", address: "203.0.113.5", loginAge: .seconds(30))))
    }

    @Test("The gateway with nothing covering it is an ordinary outsider")
    func uncoveredGateway() {
        #expect(decide(client: gateway, networks: ["10.0.0.0/8"]) == .refused(.noPermission(client: gateway)))
    }

    @Test("Loopback keeps relaying: it is never a default gateway")
    func loopbackUnchanged() {
        #expect(decide(client: "127.0.0.1", networks: ["127.0.0.0/8"]) == .permitted(.clientNetwork("127.0.0.0/8")))
    }

    @Test("Without known gateways nothing changes")
    func noGateways() {
        let outcome = RelayDecision.permission(
            authenticatedUser: nil, clientAddress: gateway, clientNetworks: lan, popBeforeSMTP: nil)
        #expect(outcome == .permitted(.clientNetwork("192.168.1.0/24")))
    }

    @Test("The refusal is 550 5.7.1, logged as `refused relay` with the NAT trap and the fix")
    func refusalWords() {
        let path = EnvelopePath.mailbox(Mailbox(localPart: "x", domain: .name("remote.test")))
        let decision = RecipientPolicy.decide(
            path, resolution: .notLocal, clientAddress: gateway, permission: nil,
            refusal: .defaultGateway(client: gateway))
        guard case .reject(let reply) = decision.verdict else {
            Issue.record("not refused: \(decision.verdict)")
            return
        }
        #expect(reply.code == 550 && reply.enhanced == .init(5, 7, 1))
        #expect(reply.wireText.hasPrefix("550 5.7.1 Relay access denied"))
        #expect(decision.logText.hasPrefix("refused relay: client 192.168.1.1 is this host's default gateway: "))
        #expect(decision.logText.contains("masquerading port forward"))
        #expect(decision.logText.contains("list 192.168.1.1 in client_networks only if the gateway itself sends mail"))
        #expect(RelayRefusal.gatewayClient(inDetail: RelayRefusal.defaultGateway(client: "fd00::1").detail) == "fd00::1")
        #expect(RelayRefusal.gatewayClient(inDetail: RelayRefusal.noPermission(client: gateway).detail) == nil)
        // The ordinary refusal keeps its words and its 554.
        let plain = RecipientPolicy.decide(path, resolution: .notLocal, clientAddress: "203.0.113.5")
        #expect(plain.verdict == .reject(Replies.relayDenied))
        #expect(plain.logText == "refused relay: client 203.0.113.5 is not authenticated and not in a client network")
    }
}
