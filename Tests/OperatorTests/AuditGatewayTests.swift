import Testing

@testable import Operator

/// `sims audit` and the NAT trap: the server logs its default gateways; a
/// relay for a gateway is a relay for whoever is behind a masquerading
/// port forward.
@Suite("Audit: relays for this host's default gateway")
struct AuditGatewayTests {
    let gateways =
        "2026-11-29T09:00:00.000Z 2 SYSTEM default gateways: 192.168.1.1, fd00::1 (behind a masquerading port forward outside clients appear as these; relay from them needs a client_networks entry naming them alone)"

    @Test("Listed alone: the relay is flagged, the verdict says outsiders could relay through the NAT, the client is marked")
    func explicitEntry() {
        let log =
            gateways + "\n" + """
                2026-11-29T10:00:00.000Z 2 SMTP-1 [S.G1] 192.168.1.1 <x@remote.test> relayed: client network 192.168.1.1, queued for remote.test
                2026-11-29T10:00:01.000Z 2 SMTP-2 [S.G2] 192.168.1.7 <y@remote.test> relayed: client network 192.168.1.0/24, queued for remote.test
                """
        let report = audit(log, settings: AuditSettings(listeners: ["127.0.0.1:25"]))
        let finding = report.findings.first { $0.kind == "gateway_relay" }
        #expect(finding?.severity == "warning")
        #expect(finding?.message.contains("192.168.1.1") == true)
        #expect(report.verdict.status == "warning")
        #expect(report.verdict.text.hasPrefix("outsiders could relay through the NAT: "), "\(report.verdict.text)")
        let explicit = report.relayPermissions.first { $0.name == "192.168.1.1" }
        #expect(explicit?.gatewayClients == ["192.168.1.1"])
        let lan = report.relayPermissions.first { $0.name == "192.168.1.0/24" }
        #expect(lan?.gatewayClients == [])
        let text = AuditTextRenderer(style: TextStyle(colour: false)).render(report)
        #expect(text.contains("192.168.1.1 1 (default gateway)"), "\(text)")
        #expect(!text.contains("192.168.1.7 1 (default gateway)"))
    }

    @Test("Through a network that only covers it (a server without the guard): an open relay through the NAT")
    func coveredEntry() {
        let log =
            gateways + "\n"
            + "2026-11-29T10:00:00.000Z 2 SMTP-1 [S.G1] 192.168.1.1 <x@remote.test> relayed: client network 192.168.1.0/24, queued for remote.test"
        let report = audit(log)
        #expect(report.findings.first?.kind == "gateway_relay")
        #expect(report.findings.first?.severity == "critical")
        #expect(report.verdict.status == "open_relay")
        #expect(report.verdict.text.contains("outsiders could relay through the NAT"), "\(report.verdict.text)")
    }

    @Test("Authenticated relays from the gateway are not the trap; nothing is flagged before the gateways are known")
    func notTheTrap() {
        let authenticated =
            gateways + "\n"
            + "2026-11-29T10:00:00.000Z 2 SMTP-1 [S.G1] 192.168.1.1 <x@remote.test> relayed: authenticated as alice@example.test, queued for remote.test"
        #expect(audit(authenticated).findings.isEmpty)
        let unknown =
            "2026-11-29T10:00:00.000Z 2 SMTP-1 [S.G1] 192.168.1.1 <x@remote.test> relayed: client network 192.168.1.1, queued for remote.test"
        #expect(!audit(unknown).findings.contains { $0.kind == "gateway_relay" })
        // A later line saying "none" ends it.
        let changed = gateways + "\n2026-11-29T09:30:00.000Z 2 SYSTEM default gateways: none\n" + unknown
        #expect(!audit(changed).findings.contains { $0.kind == "gateway_relay" })
    }

    @Test("The gateways logged before --since still count")
    func beforeWindow() {
        var settings = AuditSettings(since: LogTime.parse("2026-11-29T09:30"), listeners: ["127.0.0.1:25"])
        settings.tableRows = 10
        let log =
            gateways + "\n"
            + "2026-11-29T10:00:00.000Z 2 SMTP-1 [S.G1] 192.168.1.1 <x@remote.test> relayed: client network 192.168.1.1, queued for remote.test"
        #expect(audit(log, settings: settings).findings.contains { $0.kind == "gateway_relay" })
    }

    @Test("Refusals for the gateway are counted apart and noted, without changing the verdict")
    func refusals() {
        let log =
            gateways + "\n"
            + "2026-11-29T10:00:00.000Z 2 SMTP-1 [S.G1] 192.168.1.1 <x@remote.test> refused relay: client 192.168.1.1 is this host's default gateway: behind a masquerading port forward every outside client appears as the gateway; list 192.168.1.1 in client_networks only if the gateway itself sends mail (from <s@spam.test>)"
        let report = audit(log)
        #expect(report.counts.refusedRelay == 1)
        #expect(report.refusedByReason.map(\.key) == ["relay denied (default gateway)"])
        #expect(report.findings.map(\.kind) == ["gateway_refused"])
        #expect(report.findings.first?.severity == "note")
        #expect(report.verdict.status == "ok")
    }

    @Test("The private-network finding lists listeners with their ports, a private listener included")
    func listenersWithPorts() {
        let log =
            "2026-11-29T12:00:00.000Z 2 SMTP-1 [S.N] 192.168.1.7 <a@r.test> relayed: client network 192.168.1.0/24, queued for r.test"
        let report = audit(log, settings: AuditSettings(listeners: ["192.168.1.10:25", "127.0.0.1:587", "[::]:465"]))
        let finding = report.findings.first { $0.kind == "private_network_public_listener" }
        #expect(finding?.message.contains("192.168.1.10:25, [::]:465") == true, "\(finding?.message ?? "none")")
        #expect(finding?.message.contains("127.0.0.1:587") == false)
    }
}
