import MailCore
import Testing

@testable import Operator

/// The audit cannot be made to lie (issue 11): client values in every field,
/// counts by queue id, bounds that say "more than", levels too low to tell.
@Suite struct AuditTruthTests {
    /// One scripted day, written the way the producers write it (`LogField`,
    /// `RecipientFate`), with `value` in every client-controlled field.
    static func day(_ value: String) -> String {
        let path = EnvelopePath.mailbox(Mailbox(localPart: value, domain: .name("remote.test")))
        let sender = EnvelopePath.mailbox(Mailbox(localPart: value, domain: .name("spam.test")))
        let word = LogField.word(value)
        let t = "2026-11-29T10:00:00"
        return [
            "\(t).000Z 2 SYSTEM log levels: SMTP=4 SUBMIT=2 POP3=2 QUEUE=2",
            "\(t).001Z 2 SMTP-1 127.0.0.9 connected to 127.0.0.1:25",
            "\(t).002Z 4 SMTP-1 127.0.0.9 < \(LogField.text("EHLO " + value))",
            "\(t).003Z 3 SMTP-1 127.0.0.9 \(LogField.quoted("MAIL FROM:<" + value + ">")) answered 501 5.1.7 Bad sender",
            "\(t).004Z 2 SMTP-1 [S.A] 127.0.0.9 \(RecipientFate.refusedRelay.line(path, "client 127.0.0.9 is not authenticated and not in a client network")) (from \(LogField.path(sender)))",
            "\(t).005Z 2 SUBMIT-1 127.0.0.10 authentication failed for \(word) from 127.0.0.10",
            "\(t).006Z 2 SUBMIT-2 127.0.0.11 authenticated as alice@example.test",
            "\(t).007Z 2 SUBMIT-2 [S.B] 127.0.0.11 received 100 bytes from \(LogField.path(sender)) for 1 recipient",
            "\(t).008Z 2 SUBMIT-2 [S.B] 127.0.0.11 \(RecipientFate.relayed.line(path, "authenticated as alice@example.test, queued for remote.test"))",
            "\(t).009Z 2 QUEUE [S.B] \(RecipientFate.sent.line(path, "127.0.0.1:25 said \(LogField.text("250 ok " + value)) (authenticated as alice@example.test)"))",
            "\(t).010Z 2 POP3-1 127.0.0.12 authentication failed for \(word) from 127.0.0.12",
            "\(t).011Z 2 SMTP-3 127.0.0.9 refused: HELO \(word): 550 5.7.1 no",
        ].joined(separator: "\n")
    }

    static func essentials(_ report: AuditReport) -> String {
        let c = report.counts
        let permissions = report.relayPermissions.map { "\($0.kind)/\($0.name)/\($0.messages)/\($0.recipients)" }
        return "\(c) \(permissions) \(report.refusedRelayByIP) \(report.authFailuresByIP) \(report.verdict.status) "
            + "\(report.window.lines) \(report.window.otherLines) \(report.window.unparsedLines)"
    }

    @Test("Random bytes in every client field never change the counts or the verdict", arguments: 0..<300)
    func injectedValuesChangeNothing(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed))
        let pieces = [
            "relayed: ", "pop-before-smtp bob@x from 6.6.6.6, ", "authenticated as ", "> ", "<", ">", "\"", "]", "[S.X] ",
            " ", ", queued for evil.example", " sent: ", "refused relay: ", " (from <a@b>)", "\\", "\r", "\n", "\u{0}",
            "\u{1B}[2J", "\u{7F}", "\u{E9}", "\u{2028}", "2026-11-29T10:00:00.000Z 2 SMTP-9 6.6.6.6 ", " said ", ")",
            " (client network 0.0.0.0/0)", "log levels: SMTP=1 ",
        ]
        var value = ""
        for _ in 0..<Int.random(in: 1...8, using: &generator) { value += pieces.randomElement(using: &generator)! }
        let benign = Self.essentials(audit(Self.day("bob")))
        #expect(Self.essentials(audit(Self.day(value))) == benign, "value: \(value.debugDescription)")
    }

    @Test func theBenignDayIsWhatItSeems() {
        let report = audit(Self.day("bob"))
        #expect(report.counts.refusedRelay == 1 && report.counts.relayed == 1 && report.counts.authFailures == 2)
        #expect(report.relayPermissions.map(\.kind) == ["authenticated"])
        #expect(report.verdict.status == "ok")
    }

    @Test("Interleaved lines of concurrent messages count each message once")
    func messagesByQueueID() {
        var lines: [String] = []
        for n in 0..<72 {
            for id in ["S.A\(n)", "S.B\(n)"] {
                lines.append(
                    "2026-11-29T10:00:00.000Z 2 SMTP-1 [\(id)] 127.0.0.2 <x\(n)@r.test> relayed: client network 127.0.0.2, queued for r.test"
                )
            }
        }
        for n in 0..<72 {
            lines.append(
                "2026-11-29T10:00:01.000Z 2 SMTP-1 [S.A\(n)] 127.0.0.2 <y\(n)@r.test> relayed: client network 127.0.0.2, queued for r.test"
            )
        }
        let report = audit(lines.shuffled().joined(separator: "\n"))
        #expect(report.counts.relayedMessages == 144)
        #expect(report.counts.relayed == 216)
        #expect(report.relayPermissions.first?.messages == 144)
    }

    @Test("A sent line with a permission and no relayed line is still a relay, counted once with it")
    func sentImpliesRelay() {
        let sentOnly = """
            2026-11-29T10:00:00.000Z 2 QUEUE [S.Q] <b@r.test> sent: 127.0.0.1:25 said 250 ok (authenticated as alice@example.test)
            """
        let report = audit(sentOnly)
        #expect(report.counts.relayed == 1 && report.counts.relayedMessages == 1 && report.counts.sent == 1)
        #expect(report.relayPermissions.map(\.name) == ["alice@example.test"])
        let both = """
            2026-11-29T10:00:00.000Z 2 SUBMIT-1 [S.Q] 127.0.0.9 <b@r.test> relayed: authenticated as alice@example.test, queued for r.test
            """ + "\n" + sentOnly
        #expect(audit(both).counts.relayed == 1)
    }

    @Test("Distinct domains and clients beyond the bound say 'more than'")
    func boundsSayMoreThan() {
        var settings = AuditSettings(listeners: ["127.0.0.1"])
        settings.distinctBound = 100
        let lines = (0..<600).map { n in
            "2026-11-29T10:00:00.000Z 2 SUBMIT-\(n) [S.\(n)] 10.0.\(n / 256).\(n % 256) <x@d\(n).test> relayed: authenticated as alice@example.test, queued for d\(n).test"
        }
        let report = audit(lines.joined(separator: "\n"), settings: settings)
        let alice = report.relayPermissions.first
        #expect(alice?.distinctDomains == 100 && alice?.distinctDomainsOverBound == true)
        #expect(alice?.clientCount == 100 && alice?.clientCountOverBound == true)
        #expect(report.findings.contains { $0.kind == "many_domains" && $0.message.contains("more than 100 distinct") })
        #expect(AuditTextRenderer(style: TextStyle(colour: false)).render(report).contains("more than 100 domain(s)"))
    }

    @Test("One account used from many addresses is a finding; a lockout is reported as one")
    func stolenPasswordAndLockout() {
        var lines = (0..<11).map { n in "2026-11-29T10:00:00.000Z 2 SUBMIT-\(n) 10.0.0.\(n) authenticated as alice@example.test" }
        lines.append(
            "2026-11-29T10:00:00.000Z 2 POP3-1 10.0.0.99 authentication failed for bob@example.test from 10.0.0.99 (account locked after repeated failures)"
        )
        let report = audit(lines.joined(separator: "\n"))
        #expect(
            report.findings.contains { $0.kind == "many_clients" && $0.message.contains("alice@example.test logged in from 11") })
        #expect(report.findings.contains { $0.kind == "lockout" && $0.message.contains("bob@example.test is locked") })
        #expect(report.counts.lockedLogins == 1 && report.lockedAccounts.map(\.key) == ["bob@example.test"])
        #expect(report.accountsByClients == [.init(key: "alice@example.test", count: 11)])
    }

    @Test("Levels too low, in sims.toml or at a start in the window, make the verdict 'cannot tell'")
    func cannotTell() {
        var settings = AuditSettings(listeners: ["127.0.0.1"])
        settings.logLevel = 2
        settings.moduleLevels = ["QUEUE": 1]
        let fromConfig = audit(SampleLog.localDelivery, settings: settings)
        #expect(fromConfig.verdict.status == "cannot_tell")
        #expect(fromConfig.verdict.text.contains("QUEUE at level 1") && fromConfig.verdict.text.contains("sims.toml"))

        let restarted = """
            2026-11-29T09:00:00.000Z 2 SYSTEM log levels: SMTP=1 SUBMIT=2 POP3=2 QUEUE=2
            2026-11-29T12:00:00.000Z 2 SYSTEM log levels: SMTP=2 SUBMIT=2 POP3=2 QUEUE=2
            """ + "\n" + SampleLog.localDelivery
        let report = audit(restarted)
        #expect(report.verdict.status == "cannot_tell")
        #expect(report.verdict.text.contains("until the restart at 2026-11-29T12:00:00.000Z"))
        // The start before the window counts too; a later start at level 2 alone is fine.
        var since = AuditSettings(listeners: ["127.0.0.1"])
        since.since = LogTime.parse("2026-11-29T10:00")
        #expect(audit(restarted, settings: since).verdict.status == "cannot_tell")
        since.since = LogTime.parse("2026-11-29T13:00")
        let later = restarted + "\n2026-11-29T14:00:00.000Z 2 SMTP-9 127.0.0.9 connected to 127.0.0.1:25"
        #expect(audit(later, settings: since).verdict.status == "ok")
        // An open relay is still called one: the log shows it.
        let open = restarted + "\n2026-11-29T10:00:00.000Z 2 SMTP-1 [S.O] 127.0.0.9 <x@r.test> relayed: , queued for r.test"
        #expect(audit(open).verdict.status == "open_relay")
    }

    @Test("No log at all is 'cannot tell', not an error")
    func noLog() throws {
        let report = try AuditRun.report(files: ["/nonexistent/sims.log"], settings: AuditSettings())
        #expect(report.verdict.status == "cannot_tell" && report.verdict.text.contains("no log"))
        let none = try AuditRun.report(files: [], settings: AuditSettings(), noLog: "/srv/sims/log/sims.log")
        #expect(none.verdict.text.contains("/srv/sims/log/sims.log"))
    }

    @Test("The NAT trap verdict says outsiders may have relayed")
    func natTrapWords() {
        let log =
            "2026-11-29T10:00:00.000Z 2 SMTP-1 [S.N] 192.168.1.1 <x@r.test> relayed: client network 192.168.0.0/16, queued for r.test"
        let report = audit(log, settings: AuditSettings(listeners: ["0.0.0.0"]))
        #expect(report.verdict.status == "warning")
        #expect(report.verdict.text.hasPrefix("outsiders may have relayed: "))
        #expect(!report.verdict.text.contains("no relaying except"))
    }

    @Test("Greylisting and old connection 'deferred' lines are not queue deferrals")
    func greylistIsNotDeferral() {
        let log = """
            2026-11-29T10:00:00.000Z 2 SMTP-1 [S.G] 127.0.0.9 <p@example.test> greylisted: greylisted (127.0.0.0/24, <a@b>, <p@example.test>), retry in 300 s
            2026-11-29T10:00:00.000Z 2 SMTP-1 [S.H] 127.0.0.9 <p@example.test> deferred: greylisted (127.0.0.0/24, <a@b>, <p@example.test>), retry in 300 s
            2026-11-29T10:00:00.000Z 1 SMTP-1 [S.I] 127.0.0.9 <p@example.test> deferred: directory lookup failed: disk I/O error
            """
        let report = audit(log)
        #expect(report.counts.greylisted == 2 && report.counts.deferred == 0 && report.counts.refused == 1)
        #expect(report.refusedByReason.map(\.key) == ["directory unavailable"])
    }
}

/// A small deterministic generator (SplitMix64), so a failing seed repeats.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
