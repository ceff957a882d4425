import MailCore
import SMTPClient
import Testing

@Suite("SMTPClientSession: MAIL, RCPT, DATA and their parameters")
struct SessionTransactionTests {
    static let three = OutboundEnvelope(reversePath: "s@origin.test", recipients: ["a@d.test", "b@d.test", "c@d.test"])

    @Test("Mixed RCPT results: refused recipients keep their own reply, accepted ones get the final-dot reply")
    func mixedRecipients() {
        var harness = ClientHarness(envelope: Self.three) { $0.tls = .disabled }
        harness.greetAndEHLO([])
        harness.server("250 2.1.0 Ok\r\n")
        #expect(harness.server("550 5.1.1 unknown user\r\n") == ["RCPT TO:<b@d.test>\r\n"])
        #expect(harness.server("250 2.1.5 Ok\r\n") == ["RCPT TO:<c@d.test>\r\n"])
        #expect(harness.server("451 4.7.1 greylisted\r\n") == ["DATA\r\n"])
        harness.server("354 go\r\n")
        harness.server("250 2.0.0 queued\r\n221 bye\r\n")
        let replies = harness.recipientReplies
        #expect(replies?["a@d.test"]?.status == "550 5.1.1")
        #expect(replies?["b@d.test"]?.status == "250 2.0.0")
        #expect(replies?["c@d.test"]?.status == "451 4.7.1")
    }

    @Test("Every RCPT refused: no DATA; QUIT, and each recipient's refusal is the outcome")
    func allRefused() {
        var harness = ClientHarness(envelope: Self.three) { $0.tls = .disabled }
        harness.greetAndEHLO([])
        harness.server("250 Ok\r\n550 5.1.1 no a\r\n")
        harness.server("550 5.1.1 no b\r\n")
        #expect(harness.server("450 4.2.0 not now\r\n") == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(!harness.allWritten.contains("DATA"))
        #expect(harness.recipientReplies?.mapValues(\.code) == ["a@d.test": 550, "b@d.test": 550, "c@d.test": 450])
    }

    @Test("Every pipelined RCPT refused: the DATA refusal is read, then QUIT; the RCPT replies stand")
    func allRefusedPipelined() {
        var harness = ClientHarness(envelope: Self.three) { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        #expect(harness.server("250 Ok\r\n550 no\r\n550 no\r\n550 no\r\n") == [])
        #expect(harness.server("554 5.5.1 Error: no valid recipients\r\n") == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.recipientReplies?.mapValues(\.code) == ["a@d.test": 550, "b@d.test": 550, "c@d.test": 550])
        #expect(!harness.allWritten.contains("MESSAGE:"))
    }

    @Test("Every pipelined RCPT refused but DATA accepted anyway: a lone '.' so nothing is delivered (RFC 2920 § 3.1)")
    func allRefusedButDataAccepted() {
        var harness = ClientHarness(envelope: Self.three) { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        #expect(harness.server("250 Ok\r\n550 no\r\n550 no\r\n550 no\r\n354 go\r\n") == [".\r\n"])
        #expect(harness.server("554 no recipients\r\n") == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.recipientReplies?.mapValues(\.code) == ["a@d.test": 550, "b@d.test": 550, "c@d.test": 550])
        #expect(!harness.allWritten.contains("Hello"))
    }

    @Test("MAIL refused: 451 is a temporary failure of the whole attempt, 550 a permanent one; no RCPT is sent")
    func mailRefused() {
        var temporary = ClientHarness { $0.tls = .disabled }
        temporary.greetAndEHLO([])
        #expect(temporary.server("451 4.3.0 try later\r\n") == ["QUIT\r\n"])
        temporary.server("221 bye\r\n")
        #expect(temporary.failure?.isPermanent == false)
        #expect(temporary.failure?.reply?.status == "451 4.3.0")
        #expect(!temporary.allWritten.contains("RCPT"))

        var permanent = ClientHarness { $0.tls = .disabled }
        permanent.greetAndEHLO([])
        permanent.server("550 5.7.1 sender refused\r\n221 bye\r\n")
        #expect(permanent.failure?.isPermanent == true)
    }

    @Test("MAIL refused in a pipelined batch: the other replies are read, then QUIT, and the MAIL reply decides")
    func mailRefusedPipelined() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        #expect(harness.server("451 4.3.0 try later\r\n503 5.5.1 need MAIL\r\n") == [])
        #expect(harness.server("503 5.5.1 need RCPT\r\n") == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.isPermanent == false)
        #expect(harness.failure?.reply?.status == "451 4.3.0")
    }

    @Test("DATA refused: the accepted recipients get the DATA reply")
    func dataRefused() {
        var harness = ClientHarness(envelope: Self.three) { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        #expect(harness.server("250 Ok\r\n250 Ok\r\n550 no\r\n250 Ok\r\n554 5.3.0 not today\r\n") == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(
            harness.recipientReplies?.mapValues(\.status) == [
                "a@d.test": "554 5.3.0", "b@d.test": "550", "c@d.test": "554 5.3.0",
            ])
    }

    @Test("421 to the final dot: the accepted recipients get it and the client closes without QUIT")
    func closingAtDataEnd() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.greetAndEHLO([])
        harness.server("250 Ok\r\n250 Ok\r\n354 go\r\n")
        #expect(harness.server("421 4.4.2 timeout\r\n") == ["CLOSE"])
        #expect(harness.recipientReplies?["rcpt@dest.test"]?.code == 421)
    }

    @Test("SIZE announced smaller than the message: permanent failure, 552 5.3.4, without MAIL (RFC 1870)")
    func sizeTooBig() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo(["SIZE 10", "PIPELINING"])) == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.isPermanent == true)
        #expect(harness.failure?.reply?.status == "552 5.3.4")
        #expect(!harness.allWritten.contains("MAIL"))
    }

    @Test("SIZE 0 (no fixed limit) or a limit the message fits: SIZE= is declared")
    func sizeFits() {
        for limit in ["SIZE", "SIZE 0", "SIZE 24"] {
            var harness = ClientHarness { $0.tls = .disabled }
            harness.server("220 mx\r\n")
            #expect(harness.server(ehlo([limit])) == ["MAIL FROM:<sender@origin.test> SIZE=24\r\n"])
        }
    }

    @Test("BODY=8BITMIME only for 8-bit text to a server that offers 8BITMIME")
    func eightBitMIME() {
        let message = Array("Subject: x\r\n\r\ncafé\r\n".utf8)
        var offered = ClientHarness(message: message) { $0.tls = .disabled }
        offered.server("220 mx\r\n")
        #expect(offered.server(ehlo(["8BITMIME"])) == ["MAIL FROM:<sender@origin.test> BODY=8BITMIME\r\n"])

        var notOffered = ClientHarness(message: message) { $0.tls = .disabled }
        notOffered.server("220 mx\r\n")
        #expect(notOffered.server(ehlo([])) == ["MAIL FROM:<sender@origin.test>\r\n"])

        var sevenBit = ClientHarness { $0.tls = .disabled }
        sevenBit.server("220 mx\r\n")
        #expect(sevenBit.server(ehlo(["8BITMIME"])) == ["MAIL FROM:<sender@origin.test>\r\n"])
    }

    @Test("SMTPUTF8 for a non-ASCII address when offered; without it that recipient alone is refused with 553 5.6.7")
    func smtpUTF8() {
        let envelope = OutboundEnvelope(reversePath: "s@origin.test", recipients: ["ü@d.test", "a@d.test"])
        var offered = ClientHarness(envelope: envelope) { $0.tls = .disabled }
        offered.server("220 mx\r\n")
        #expect(
            offered.server(ehlo(["SMTPUTF8", "PIPELINING"])) == [
                "MAIL FROM:<s@origin.test> SMTPUTF8\r\nRCPT TO:<ü@d.test>\r\nRCPT TO:<a@d.test>\r\nDATA\r\n"
            ])

        var notOffered = ClientHarness(envelope: envelope) { $0.tls = .disabled }
        notOffered.server("220 mx\r\n")
        #expect(notOffered.server(ehlo(["PIPELINING"])) == ["MAIL FROM:<s@origin.test>\r\nRCPT TO:<a@d.test>\r\nDATA\r\n"])
        notOffered.server("250 Ok\r\n250 Ok\r\n354 go\r\n250 queued\r\n221 bye\r\n")
        #expect(notOffered.recipientReplies?["ü@d.test"]?.status == "553 5.6.7")
        #expect(notOffered.recipientReplies?["a@d.test"]?.status == "250")
    }

    @Test("A non-ASCII reverse path to a server without SMTPUTF8 is a permanent failure without MAIL")
    func utf8Sender() {
        var harness = ClientHarness(envelope: OutboundEnvelope(reversePath: "ü@origin.test", recipients: ["a@d.test"])) {
            $0.tls = .disabled
        }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo([])) == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.isPermanent == true)
    }

    @Test("An address with CR or LF is never written (no command injection); duplicates are sent once")
    func unsafeAndDuplicateAddresses() {
        let envelope = OutboundEnvelope(
            reversePath: "s@origin.test", recipients: ["a@d.test", "x@d.test>\r\nRCPT TO:<evil@d.test", "a@d.test"])
        var harness = ClientHarness(envelope: envelope) { $0.tls = .disabled }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo(["PIPELINING"])) == ["MAIL FROM:<s@origin.test>\r\nRCPT TO:<a@d.test>\r\nDATA\r\n"])
        harness.server("250 Ok\r\n250 Ok\r\n354 go\r\n250 queued\r\n221 bye\r\n")
        #expect(harness.recipientReplies?["x@d.test>\r\nRCPT TO:<evil@d.test"]?.status == "553 5.1.3")
        #expect(harness.recipientReplies?.count == 2)
    }

    @Test("A 421 in the middle of the RCPT replies ends the attempt temporarily, without QUIT")
    func closingDuringRecipients() {
        var harness = ClientHarness(envelope: Self.three) { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        #expect(harness.server("250 Ok\r\n250 Ok\r\n421 4.3.2 shutting down\r\n") == ["CLOSE"])
        #expect(harness.failure?.isPermanent == false)
        #expect(harness.failure?.reply?.code == 421)
    }

    @Test("An unexpected reply while waiting for the handshake is a protocol error")
    func replyDuringHandshake() {
        var harness = ClientHarness()
        harness.greetAndEHLO(["STARTTLS"])
        harness.server("220 go\r\n")
        let action = harness.session.receive(SMTPReply(250, nil, "surprise"))
        guard case .close(.failed(let reason, _, false)) = action else {
            Issue.record("expected a protocol failure, got \(action)")
            return
        }
        #expect(reason.contains("protocol error"))
    }
}
