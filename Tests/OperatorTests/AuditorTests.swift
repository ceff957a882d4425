import Foundation
import Testing

@testable import Operator

@Suite struct AuditorTests {
    @Test func legitimateTrafficCountsAndCleanVerdict() {
        let report = audit([SampleLog.localDelivery, SampleLog.authenticatedRelay].joined(separator: "\n"))
        #expect(report.counts.received == 2)
        #expect(report.counts.deliveredLocally == 1)
        #expect(report.counts.relayed == 2)
        #expect(report.counts.relayedMessages == 1)
        #expect(report.counts.sent == 2)
        #expect(report.counts.authSuccesses == 1)
        #expect(report.counts.refused == 0)
        #expect(report.relayPermissions.count == 1)
        let alice = report.relayPermissions[0]
        #expect(alice.kind == "authenticated" && alice.name == "alice@example.test")
        #expect(alice.messages == 1 && alice.recipients == 2 && alice.distinctDomains == 2)
        #expect(alice.first == "2026-11-29T11:00:00.301Z" && alice.last == "2026-11-29T11:00:00.302Z")
        #expect(alice.topDomains.map(\.key) == ["other.test", "remote.test"])
        #expect(alice.clients.map(\.key) == ["127.0.0.9"])
        #expect(report.findings.isEmpty)
        #expect(report.verdict == .init(status: "ok", text: "no relaying except by authenticated users and client networks"))
        #expect(report.window.lines == 14 && report.window.otherLines == 0)
    }

    @Test func refusalsByReasonAndByAddress() {
        let report = audit(SampleLog.refusals)
        #expect(report.counts.refused == 6)
        #expect(report.counts.refusedRelay == 3)
        #expect(report.refusedByReason.map { "\($0.key)=\($0.count)" }
            == ["relay denied=3", "HELO check=1", "blocklisted=1", "unknown user=1"])
        #expect(report.refusedRelayByIP.map { "\($0.key)=\($0.count)" } == ["127.0.0.9=2", "127.0.0.8=1"])
        #expect(report.verdict.status == "ok")
    }

    @Test func bruteForceByAddressAndAccount() {
        let report = audit(SampleLog.bruteForce)
        #expect(report.counts.authFailures == 3)
        #expect(report.counts.bans == 1)
        #expect(report.counts.refusedConnections == 1)
        #expect(report.authFailuresByIP.map { "\($0.key)=\($0.count)" } == ["127.0.0.9=3"])
        #expect(report.authFailuresByAccount.map { "\($0.key)=\($0.count)" }
            == ["alice@example.test=2", "admin@example.test=1"])
        #expect(report.bansByIP.map(\.key) == ["127.0.0.9"])
        #expect(report.refusedByReason.map(\.key) == ["connection: banned address"])
    }

    @Test func nightRelayAndBackscatterAreFindings() {
        let report = audit(SampleLog.networkRelay)
        #expect(report.counts.bounced == 1)
        #expect(report.counts.bouncesSent == 1)
        #expect(report.counts.deferred == 1)
        let network = report.relayPermissions.first
        #expect(network?.kind == "client_network" && network?.name == "127.0.0.2" && network?.nightRecipients == 1)
        #expect(report.findings.map(\.kind) == ["night_relay", "backscatter"])
        #expect(report.backscatterDomains.map(\.key) == ["innocent.test"])
        #expect(report.verdict.status == "warning")
        #expect(report.verdict.text.hasPrefix("no relaying except by authenticated users and client networks, but look at: "))
        #expect(report.verdict.text.contains("backscatter"))
    }

    @Test func bouncesToLocalOrKnownDomainsAreNotBackscatter() {
        var settings = AuditSettings(listeners: ["127.0.0.1"])
        settings.localDomains = ["innocent.test"]
        #expect(audit(SampleLog.networkRelay, settings: settings).backscatterDomains.isEmpty)
        let relayedThere = SampleLog.networkRelay + """

            2026-11-29T03:30:00.000Z 2 SMTP-9 [S.N2] 127.0.0.2 <x@innocent.test> relayed: client network 127.0.0.2, queued for innocent.test
            """
        #expect(audit(relayedThere).backscatterDomains.isEmpty)
    }

    @Test func relayWithoutPermissionIsAnOpenRelay() {
        let log = """
            2026-11-29T14:00:00.000Z 2 SMTP-1 [S.OPEN1] 203.0.113.5 <a@far.test> relayed: , queued for far.test
            2026-11-29T14:00:00.001Z 2 SMTP-1 [S.OPEN1] 203.0.113.5 <b@far.test> relayed: , queued for far.test
            2026-11-29T14:00:01.000Z 2 SMTP-2 [S.OPEN2] 203.0.113.6 <c@far.test> relayed: trust me, queued for far.test
            """
        let report = audit(SampleLog.authenticatedRelay + "\n" + log)
        #expect(report.counts.relayedWithoutPermission == 3)
        #expect(report.findings.first?.severity == "critical")
        #expect(report.verdict == .init(status: "open_relay", text: "OPEN RELAY? 2 message(s) relayed with no permission recorded"))
    }

    @Test func sentWithoutPermissionIsAnOpenRelayToo() {
        let log = "2026-11-29T14:00:00.000Z 2 QUEUE [S.X] <a@far.test> sent: 1.2.3.4:25 said 250 ok ()"
        #expect(audit(log).verdict.status == "open_relay")
        let bounce = "2026-11-29T14:00:00.000Z 2 QUEUE [S.X] <a@far.test> sent: 1.2.3.4:25 said 250 ok (bounce of S.Y)"
        #expect(audit(bounce).verdict.status == "ok")
    }

    @Test func popBeforeSMTPIsGroupedByAccountAndAddress() {
        let log = """
            2026-11-29T15:00:00.000Z 2 POP3-1 127.0.0.5 login alice@example.test (TLS available), 0 message(s)
            2026-11-29T15:00:00.001Z 2 POP3-1 127.0.0.5 pop-before-smtp: 127.0.0.5 may relay as alice@example.test for 10m
            2026-11-29T15:01:00.000Z 2 SMTP-3 [S.P1] 127.0.0.5 <b@remote.test> relayed: pop-before-smtp alice@example.test from 127.0.0.5, login 1m0s ago, queued for remote.test
            """
        let report = audit(log)
        #expect(report.counts.popLogins == 1)
        let pop = report.relayPermissions.first
        #expect(pop?.kind == "pop_before_smtp" && pop?.name == "alice@example.test" && pop?.client == "127.0.0.5")
        #expect(report.verdict.text == "no relaying except by authenticated users, client networks and POP-before-SMTP logins")
    }

    @Test func manyDomainsFromOneAccount() {
        var lines: [String] = []
        for n in 0..<60 {
            lines.append(
                "2026-11-29T16:00:00.000Z 2 SUBMIT-1 [S.M\(n)] 127.0.0.9 <x@d\(n).test> relayed: "
                    + "authenticated as alice@example.test, queued for d\(n).test")
        }
        let report = audit(lines.joined(separator: "\n"))
        #expect(report.relayPermissions.first?.distinctDomains == 60)
        #expect(report.relayPermissions.first?.messages == 60)
        #expect(report.relayPermissions.first?.topDomains.count == 10)
        #expect(report.findings.map(\.kind) == ["many_domains"])
        var settings = AuditSettings(listeners: [])
        settings.manyDomainsThreshold = 60
        #expect(audit(lines.joined(separator: "\n"), settings: settings).findings.isEmpty)
    }

    @Test func privateClientNetworkWithPublicListener() {
        let log = """
            2026-11-29T12:00:00.000Z 2 SMTP-1 [S.N] 192.168.0.7 <a@r.test> relayed: client network 192.168.0.0/24, queued for r.test
            """
        #expect(audit(log, settings: AuditSettings(listeners: ["0.0.0.0"])).findings.map(\.kind)
            == ["private_network_public_listener"])
        #expect(audit(log, settings: AuditSettings(listeners: ["[::]"])).findings.map(\.kind)
            == ["private_network_public_listener"])
        #expect(audit(log, settings: AuditSettings(listeners: ["198.51.100.1"])).findings.map(\.kind)
            == ["private_network_public_listener"])
        #expect(audit(log, settings: AuditSettings(listeners: ["127.0.0.1:25", "[::1]:587"])).findings.isEmpty)
        #expect(audit(log, settings: AuditSettings(listeners: nil)).findings.map(\.kind) == ["listeners_unknown"])
    }

    @Test func sinceSkipsOlderLinesAndUnknownLinesAreCounted() {
        let log = SampleLog.localDelivery + "\n" + SampleLog.authenticatedRelay + "\nnot a log line\n"
            + "2026-11-29T11:30:00.000Z 2 SYSTEM something brand new"
        let report = audit(log, settings: AuditSettings(since: LogTime.parse("2026-11-29T10:30"), listeners: []))
        #expect(report.counts.received == 1)
        #expect(report.counts.deliveredLocally == 0)
        #expect(report.window.lines == 11)
        #expect(report.window.otherLines == 1)
        #expect(report.window.unparsedLines == 1)
        #expect(report.window.first == "2026-11-29T11:00:00.000Z")
    }

    @Test func jsonIsSnakeCaseAndStable() throws {
        let report = audit(SampleLog.authenticatedRelay)
        let json = try AuditRun.json(report)
        #expect(json.contains("\"relayed_messages\" : 1"))
        #expect(json.contains("\"relay_permissions\""))
        #expect(json.contains("\"verdict\""))
        #expect(try AuditRun.json(audit(SampleLog.authenticatedRelay)) == json)
    }

    @Test func textFitsIn80ColumnsWithoutColour() {
        let all = [SampleLog.localDelivery, SampleLog.authenticatedRelay, SampleLog.networkRelay, SampleLog.refusals,
            SampleLog.bruteForce].joined(separator: "\n")
        let text = AuditTextRenderer(style: TextStyle(colour: false)).render(audit(all))
        for line in text.split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
        #expect(!text.contains("\u{1B}"))
        #expect(text.replacingOccurrences(of: "\n  ", with: " ")
            .contains("Verdict: no relaying except by authenticated users and client networks, but look at:"))
        #expect(AuditTextRenderer(style: TextStyle(colour: true)).render(audit(all)).contains("\u{1B}[1m"))
    }

    @Test func filesOfTheWindowInDayOrder() throws {
        let directory = "/tmp/sims-audit-test-\(UInt32.random(in: 0...UInt32.max))"
        try makeDirectory(directory)
        for name in ["sims.log", "sims-2026-11-27.log", "sims-2026-11-29.log", "sims-2026-11-28.log", "other.txt"] {
            try writeFile("\(directory)/\(name)", SampleLog.localDelivery + "\n")
        }
        defer { removeTree(directory) }
        #expect(LogFiles.inDirectory(directory, since: nil).map { $0.split(separator: "/").last! }
            == ["sims-2026-11-27.log", "sims-2026-11-28.log", "sims-2026-11-29.log", "sims.log"])
        #expect(LogFiles.inDirectory(directory, since: LogTime.parse("2026-11-28T12:00")).map { $0.split(separator: "/").last! }
            == ["sims-2026-11-28.log", "sims-2026-11-29.log", "sims.log"])
        let report = try AuditRun.report(files: LogFiles.inDirectory(directory, since: nil), settings: AuditSettings())
        #expect(report.counts.received == 4)
    }
}
