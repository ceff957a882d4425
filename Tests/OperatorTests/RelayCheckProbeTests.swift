import MailCore
import Testing

@testable import Operator

/// A scripted server for the probe: answers each command by a rule.
struct RelayCheckScriptedServer {
    var greeting = RelayProbeReply(code: 220, lines: ["mx.example.org ESMTP test"])
    /// The RCPT reply for a recipient.
    var rcpt: (String) -> RelayProbeReply = { _ in RelayProbeReply(code: 554, lines: ["5.7.1 Relay access denied"]) }
    var mail: (String) -> RelayProbeReply = { _ in RelayProbeReply(code: 250, lines: ["2.1.0 Ok"]) }
    /// Close the connection after this many RCPT commands on it (nil: never).
    var closeAfterRecipients: Int?

    /// Runs the probe to its end; returns the report and every command sent.
    func run(_ settings: RelayProbe.Settings = .init(helo: "client.example.net", external: "example.com"))
        -> (RelayCheckReport, [String], connections: Int)
    {
        var probe = RelayProbe(settings: settings)
        var sent: [String] = []
        var connections = 0
        connectionLoop: while !probe.isFinished && connections < 100 {
            connections += 1
            probe.connected(address: "192.0.2.25")
            var action = probe.receive(greeting)
            var recipients = 0
            while true {
                guard case .send(let command) = action else {
                    if action == .finish { break connectionLoop }
                    continue connectionLoop
                }
                sent.append(command)
                let verb = command.prefix(4)
                if verb == "RCPT" {
                    recipients += 1
                    if let limit = closeAfterRecipients, recipients > limit {
                        action = probe.connectionClosed("closed")
                        continue
                    }
                }
                let argument = command.drop { $0 != "<" }.dropFirst().dropLast()
                switch verb {
                case "MAIL": action = probe.receive(mail(String(argument)))
                case "RCPT": action = probe.receive(rcpt(String(argument)))
                case "QUIT": action = probe.receive(RelayProbeReply(code: 221, lines: ["Bye"]))
                default: action = probe.receive(RelayProbeReply(code: 250, lines: ["Ok"]))
                }
            }
        }
        return (probe.report, sent, connections)
    }
}

@Suite("check-relay: the probe's dialogue, without sockets")
struct RelayCheckProbeTests {
    @Test("A closed server: every trick refused, one connection, never DATA")
    func closed() {
        let (report, sent, connections) = RelayCheckScriptedServer().run()
        let total = report.battery!.tricks.count
        #expect(report.verdict == .closed)
        #expect(report.summary == "not an open relay: all \(total) tricks refused")
        #expect(report.exitStatus == 0)
        #expect(connections == 1)
        #expect(sent.first == "EHLO client.example.net")
        #expect(sent.last == "QUIT")
        #expect(!sent.contains { $0.hasPrefix("DATA") || $0.hasPrefix("BDAT") })
        #expect(sent.filter { $0 == "RSET" }.count == total)
        #expect(report.battery?.hostname == "mx.example.org")
        #expect(report.battery?.local == "example.org")
        #expect(report.battery?.literal == "[192.0.2.25]")
    }

    @Test("An open relay: the plain remote recipient accepted")
    func open() {
        var server = RelayCheckScriptedServer()
        server.rcpt = {
            $0 == "relay-check@example.com"
                ? RelayProbeReply(code: 250, lines: ["Ok"]) : RelayProbeReply(code: 550, lines: ["no"])
        }
        let (report, _, _) = server.run()
        #expect(report.verdict == .open)
        #expect(report.accepted.map(\.trick.id).contains("plain"))
        #expect(report.accepted.allSatisfy { $0.trick.family == .plain })
        #expect(report.summary.hasPrefix("OPEN RELAY: \(report.accepted.count) of \(report.total) tricks accepted"))
        #expect(report.exitStatus == 1)
    }

    @Test("A refused MAIL ends the trick without RCPT")
    func mailRefused() {
        var server = RelayCheckScriptedServer()
        server.mail = {
            $0.isEmpty ? RelayProbeReply(code: 550, lines: ["no null sender"]) : RelayProbeReply(code: 250, lines: ["Ok"])
        }
        let (report, sent, _) = server.run()
        let nullSender = report.results.first { $0.trick.id == "null-sender" }!
        #expect(nullSender.verdict == .refused)
        #expect(nullSender.rcptReply == nil)
        let index = sent.firstIndex(of: "MAIL FROM:<>")!
        #expect(sent[index + 1] == "RSET")
    }

    @Test("A server that drops the session after two RCPTs: new connections, every trick still answered")
    func reconnects() {
        var server = RelayCheckScriptedServer()
        server.closeAfterRecipients = 2
        let (report, _, connections) = server.run()
        #expect(report.verdict == .closed)
        #expect(report.results.count == report.total)
        #expect(connections > 10)
    }

    @Test("4xx replies: nothing accepted, but no verdict either")
    func temporary() {
        var server = RelayCheckScriptedServer()
        server.rcpt = { _ in RelayProbeReply(code: 450, lines: ["4.2.0 greylisted"]) }
        let (report, _, _) = server.run()
        #expect(report.verdict == .inconclusive)
        #expect(report.exitStatus == 2)
    }

    @Test("A server that refuses the session: could not test")
    func refusedSession() {
        var server = RelayCheckScriptedServer()
        server.greeting = RelayProbeReply(code: 554, lines: ["5.7.1 go away"])
        let (report, sent, _) = server.run()
        #expect(sent.isEmpty)
        #expect(report.verdict == .inconclusive)
        #expect(report.summary == "could not test: the server refused the session: 554 5.7.1 go away")
    }

    @Test("--local-domain overrides the name from the greeting")
    func localDomain() {
        let (report, sent, _) = RelayCheckScriptedServer().run(
            .init(helo: "h.example", external: "remote.example", sender: "me@mine.example", localDomain: "Corp.Example"))
        #expect(report.battery?.local == "corp.example")
        #expect(sent.contains("RCPT TO:<relay-check%remote.example@corp.example>"))
        #expect(sent.contains("MAIL FROM:<me@mine.example>"))
    }
}

@Suite("check-relay: the trick battery")
struct RelayCheckBatteryTests {
    static let battery = RelayTrickBattery(
        external: "example.com", local: "example.org", hostname: "mx.example.org", address: "192.0.2.25", sender: nil)

    @Test("Covers nmap's smtp-open-relay set and the abuse.net forms")
    func coverage() {
        let pairs = Set(Self.battery.tricks.map { "\($0.sender) -> \($0.recipient)" })
        let nmap = [
            " -> relay-check@example.com",
            "relay-check@example.com -> relay-check@example.com",
            "relay-check@mx.example.org -> relay-check@example.com",
            "relay-check@[192.0.2.25] -> relay-check@example.com",
            "relay-check@[192.0.2.25] -> relay-check%example.com@[192.0.2.25]",
            "relay-check@[192.0.2.25] -> relay-check%example.com@mx.example.org",
            "relay-check@[192.0.2.25] -> \"relay-check@example.com\"",
            "relay-check@[192.0.2.25] -> \"relay-check%example.com\"",
            "relay-check@[192.0.2.25] -> relay-check@example.com@[192.0.2.25]",
            "relay-check@[192.0.2.25] -> \"relay-check@example.com\"@[192.0.2.25]",
            "relay-check@[192.0.2.25] -> relay-check@example.com@mx.example.org",
            "relay-check@[192.0.2.25] -> @[192.0.2.25]:relay-check@example.com",
            "relay-check@[192.0.2.25] -> @mx.example.org:relay-check@example.com",
            "relay-check@[192.0.2.25] -> example.com!relay-check",
            "relay-check@[192.0.2.25] -> example.com!relay-check@[192.0.2.25]",
            "relay-check@[192.0.2.25] -> example.com!relay-check@mx.example.org",
        ]
        for pair in nmap { #expect(pairs.contains(pair), "missing nmap test \(pair)") }
        #expect(pairs.contains("postmaster@example.org -> relay-check@example.com"))
        #expect(pairs.contains("relay-check@example.com -> relay-check%example.com@example.org"))
        #expect(pairs.contains("relay-check@example.com -> relay-check@[127.0.0.1]"))
        #expect(Set(Self.battery.tricks.map(\.id)).count == Self.battery.tricks.count)
    }

    @Test("IPv6 servers get IPv6 literals")
    func ipv6Literal() {
        var battery = Self.battery
        battery.address = "2001:db8::25"
        #expect(battery.tricks.contains { $0.recipient == "relay-check%example.com@[IPv6:2001:db8::25]" })
    }

    @Test("A decoded reply is recorded with each line's text as sent, enhanced code included")
    func replies() {
        let multi = SMTPReply(250, nil, ["mx.example.org", "PIPELINING", "SIZE 1000"])
        #expect(RelayProbeReply(multi) == RelayProbeReply(code: 250, lines: ["mx.example.org", "PIPELINING", "SIZE 1000"]))
        let refused = SMTPReply(554, .init(5, 7, 1), "Relay access denied")
        #expect(RelayProbeReply(refused) == RelayProbeReply(code: 554, lines: ["5.7.1 Relay access denied"]))
    }
}
