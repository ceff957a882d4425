import MailCore
import SMTPClient
import Testing

@Suite("SMTPClientSession: the whole conversation (RFC 5321)")
struct SessionFlowTests {
    @Test("Happy path without PIPELINING: one command per reply, message dot-stuffed, QUIT, each recipient's final reply")
    func happyPath() {
        let message = Array("Subject: hi\r\n\r\n.leading dot\r\nlast line".utf8)
        var harness = ClientHarness(
            envelope: OutboundEnvelope(reversePath: "sender@origin.test", recipients: ["a@dest.test", "b@dest.test"]),
            message: message
        ) { $0.tls = .disabled }
        #expect(harness.session.stage == .greeting)
        #expect(harness.server("220 mx.dest.test ESMTP\r\n") == ["EHLO client.test\r\n"])
        #expect(harness.session.stage == .command)
        #expect(harness.server(ehlo(["8BITMIME", "ENHANCEDSTATUSCODES"])) == ["MAIL FROM:<sender@origin.test>\r\n"])
        #expect(harness.session.stage == .mail)
        #expect(harness.server("250 2.1.0 Ok\r\n") == ["RCPT TO:<a@dest.test>\r\n"])
        #expect(harness.session.stage == .rcpt)
        #expect(harness.server("250 2.1.5 Ok\r\n") == ["RCPT TO:<b@dest.test>\r\n"])
        #expect(harness.server("250 2.1.5 Ok\r\n") == ["DATA\r\n"])
        #expect(harness.session.stage == .dataInitiation)
        #expect(
            harness.server("354 End data with <CR><LF>.<CR><LF>\r\n")
                == ["MESSAGE:Subject: hi\r\n\r\n..leading dot\r\nlast line\r\n.\r\n"])
        #expect(harness.session.stage == .dataTermination)
        #expect(harness.server("250 2.0.0 Ok: queued as 4Xyz\r\n") == ["QUIT\r\n"])
        #expect(harness.session.stage == .quit)
        #expect(harness.outcome == nil)
        #expect(harness.server("221 2.0.0 Bye\r\n") == ["CLOSE"])
        #expect(harness.session.stage == nil)
        let queued = SMTPReply(250, .init(2, 0, 0), "Ok: queued as 4Xyz")
        #expect(
            harness.outcome
                == .transaction(
                    recipientReplies: ["a@dest.test": queued, "b@dest.test": queued], remote: "192.0.2.1:25 (no TLS)"))
        #expect(!harness.session.pipelined)
    }

    @Test("With PIPELINING, MAIL, every RCPT and DATA go out in one write, and replies are matched in order (RFC 2920)")
    func pipelining() {
        var harness = ClientHarness(
            envelope: OutboundEnvelope(reversePath: "", recipients: ["a@dest.test", "b@dest.test", "c@dest.test"])
        ) { $0.tls = .disabled }
        harness.server("220 mx.dest.test ESMTP\r\n")
        let batch = harness.server(ehlo(["PIPELINING", "SIZE 10240000", "8BITMIME"]))
        #expect(
            batch == [
                "MAIL FROM:<> SIZE=24\r\nRCPT TO:<a@dest.test>\r\nRCPT TO:<b@dest.test>\r\nRCPT TO:<c@dest.test>\r\nDATA\r\n"
            ])
        #expect(harness.session.pipelined)
        // Replies one by one: nothing is written until the DATA reply.
        #expect(harness.session.stage == .mail)
        #expect(harness.server("250 2.1.0 Ok\r\n") == [])
        #expect(harness.session.stage == .rcpt)
        #expect(harness.server("250 2.1.5 Ok\r\n550 5.1.1 <b@dest.test>: unknown\r\n") == [])
        #expect(harness.server("452 4.2.2 Mailbox full\r\n") == [])
        #expect(harness.session.stage == .dataInitiation)
        #expect(harness.server("354 go ahead\r\n") == ["MESSAGE:Subject: test\r\n\r\nHello\r\n.\r\n"])
        #expect(harness.server("250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n") == ["QUIT\r\n", "CLOSE"])
        let replies = harness.recipientReplies
        #expect(replies?["a@dest.test"]?.status == "250 2.0.0")
        #expect(replies?["b@dest.test"]?.status == "550 5.1.1")
        #expect(replies?["c@dest.test"]?.status == "452 4.2.2")
        #expect(replies?.count == 3)
    }

    @Test("All pipelined replies arriving in one read give the same result")
    func pipelinedRepliesInOneRead() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        #expect(harness.server("250 Ok\r\n250 Ok\r\n354 go\r\n") == ["MESSAGE:Subject: test\r\n\r\nHello\r\n.\r\n"])
        #expect(harness.server("250 Ok\r\n") == ["QUIT\r\n"])
    }

    @Test("EHLO refused with 5xx: HELO instead, and no service extensions are used")
    func heloFallback() {
        var harness = ClientHarness(message: Array("Subject: x\r\n\r\ncafé\r\n".utf8))
        harness.server("220 old.dest.test SMTP\r\n")
        #expect(harness.server("502 5.5.2 Error: command not recognized\r\n") == ["HELO client.test\r\n"])
        // 8-bit text, but no BODY= or SIZE= after HELO; no STARTTLS either.
        #expect(harness.server("250 old.dest.test\r\n") == ["MAIL FROM:<sender@origin.test>\r\n"])
        #expect(!harness.session.usedEHLO)
    }

    @Test("EHLO and HELO both refused: the attempt fails permanently, QUIT is sent")
    func heloAlsoRefused() {
        var harness = ClientHarness()
        harness.server("220 mx\r\n")
        harness.server("500 no\r\n")
        #expect(harness.server("550 5.7.1 go away\r\n") == ["QUIT\r\n"])
        #expect(harness.server("221 bye\r\n") == ["CLOSE"])
        #expect(harness.failure?.isPermanent == true)
        #expect(harness.failure?.reply?.status == "550 5.7.1")
    }

    @Test("EHLO answered 4xx is not a reason to try HELO: temporary failure")
    func ehloTemporary() {
        var harness = ClientHarness()
        harness.server("220 mx\r\n")
        #expect(harness.server("451 4.3.0 later\r\n") == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.isPermanent == false)
    }

    @Test(
        "A greeting other than 220 fails the attempt; 5xx is permanent, 4xx is not; after 421 the client just closes",
        arguments: [
            ("554 5.7.1 You are not welcome\r\n", true, ["QUIT\r\n"]),
            ("450 4.3.2 Try later\r\n", false, ["QUIT\r\n"]),
            ("421 4.3.2 Service not available, closing\r\n", false, ["CLOSE"]),
        ])
    func greetingRefused(greeting: String, permanent: Bool, steps: [String]) {
        var harness = ClientHarness()
        #expect(harness.server(greeting) == steps)
        if harness.outcome == nil { #expect(harness.server("221 bye\r\n") == ["CLOSE"]) }
        #expect(harness.failure?.isPermanent == permanent)
        #expect(harness.failure?.reply?.code == Int(greeting.prefix(3)))
        #expect(!harness.allWritten.contains("EHLO"))
    }

    @Test("A connection closed before QUIT's reply still reports the settled outcome")
    func closedWhileQuitting() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        harness.server("250 Ok\r\n250 Ok\r\n354 go\r\n250 queued\r\n")
        let outcome = harness.session.connectionClosed()
        guard case .transaction(let replies, _) = outcome else {
            Issue.record("expected a transaction, got \(outcome)")
            return
        }
        #expect(replies["rcpt@dest.test"]?.code == 250)
    }

    @Test("Losing the connection after the message, before the reply to the final dot, is a temporary failure")
    func lostAtDataEnd() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.greetAndEHLO([])
        harness.server("250 Ok\r\n250 Ok\r\n354 go\r\n")
        #expect(harness.session.stage == .dataTermination)
        let outcome = harness.session.connectionClosed()
        guard case .failed(let reason, nil, false) = outcome else {
            Issue.record("expected a temporary failure, got \(outcome)")
            return
        }
        #expect(reason.contains("final"))
    }

    @Test("A timeout fails the attempt temporarily and names the stage")
    func timeout() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.greetAndEHLO([])
        #expect(harness.session.stage == .mail)
        let outcome = harness.session.timedOut(after: "5 min")
        guard case .failed(let reason, nil, false) = outcome else {
            Issue.record("expected a temporary failure, got \(outcome)")
            return
        }
        #expect(reason.contains("MAIL") && reason.contains("5 min"))
        #expect(harness.session.stage == nil)
    }

    @Test("A garbled reply is a temporary protocol failure")
    func protocolError() {
        var harness = ClientHarness()
        let outcome = harness.session.protocolError(.malformedLine("SSH-2.0-OpenSSH_9.2"))
        guard case .failed(let reason, nil, false) = outcome else {
            Issue.record("expected a temporary failure, got \(outcome)")
            return
        }
        #expect(reason.contains("protocol error"))
    }

    @Test("The RFC 5321 § 4.5.3.2 timeouts are the defaults, one per stage")
    func defaultTimeouts() {
        let timeouts = Timeouts()
        #expect(timeouts.limit(for: .greeting) == .seconds(5 * 60))
        #expect(timeouts.limit(for: .mail) == .seconds(5 * 60))
        #expect(timeouts.limit(for: .rcpt) == .seconds(5 * 60))
        #expect(timeouts.limit(for: .dataInitiation) == .seconds(2 * 60))
        #expect(timeouts.limit(for: .dataBlock) == .seconds(3 * 60))
        #expect(timeouts.limit(for: .dataTermination) == .seconds(10 * 60))
    }
}
