import MailCore
import SMTPProtocol
import Testing

@Suite("SMTPSession: limits")
struct SessionLimitsTests {
    @Test("A command line of 512 octets with CR LF is accepted; 513 is 500 5.5.2")
    func commandLineLimit() {
        var harness = SessionHarness()
        harness.send("NOOP " + repeated("a", 505) + "\r\n")  // 512 octets
        harness.send("NOOP " + repeated("a", 506) + "\r\n")  // 513 octets
        #expect(harness.replies(after: 1).map(\.status) == ["250 2.0.0", "500 5.5.2"])
    }

    @Test("A huge command line gets exactly one 500 5.5.2 and the next command is read normally", arguments: [nil, 1, 100])
    func hugeCommandLine(_ chunkSize: Int?) {
        var harness = SessionHarness()
        let input = "EHLO client.test\r\nMAIL FROM:<" + repeated("a", 20_000) + "@remote.test>\r\nNOOP\r\n"
        harness.send(bytes: Array(input.utf8), chunkSize: chunkSize)
        #expect(harness.replies(after: 2).map(\.status) == ["500 5.5.2", "250 2.0.0"])
        #expect(harness.session.currentTransaction == nil)
    }

    @Test("A text line of exactly 1000 octets with CR LF is accepted")
    func textLineAtLimit() {
        var harness = SessionHarness()
        openData(&harness)
        harness.send(crlf(repeated("a", 998), "."))
        #expect(harness.message() == repeated("a", 998) + "\r\n")
    }

    @Test("A text line over 1000 octets refuses the message with 554 after the final dot, not during DATA",
          arguments: [999, 1_001, 5_000, 100_000])
    func textLineTooLong(_ length: Int) {
        var harness = SessionHarness()
        openData(&harness)
        let afterDATA = harness.replies.count
        harness.send(crlf("Subject: long", "", repeated("a", length), "more text after it"))
        #expect(harness.replies.count == afterDATA, "a reply was sent in the middle of DATA")
        #expect(harness.session.isReadingData)
        harness.send(crlf("."))
        #expect(harness.replies(after: afterDATA).map(\.status) == ["554 5.6.0"])
        #expect(harness.deliveries.isEmpty)
        #expect(!harness.session.isReadingData)
    }

    @Test("A message of exactly the size limit is accepted; one octet more is 552 5.3.4 after the final dot")
    func messageSize() {
        var exact = SessionHarness { $0.maximumMessageSize = 100 }
        openData(&exact)
        exact.send(crlf(repeated("a", 48), repeated("b", 48), "."))  // 50 + 50 octets
        #expect(exact.deliveries.first?.message.readableBytes == 100)

        var over = SessionHarness { $0.maximumMessageSize = 100 }
        openData(&over)
        let afterDATA = over.replies.count
        over.send(crlf(repeated("a", 48), repeated("b", 49)))
        #expect(over.replies.count == afterDATA, "a reply was sent in the middle of DATA")
        over.send(crlf("."))
        #expect(over.replies(after: afterDATA) == [SMTPReply(552, .init(5, 3, 4), "Message size exceeds fixed limit of 100 octets")])
        #expect(over.deliveries.isEmpty)
    }

    @Test("Size is counted after dot-unstuffing")
    func sizeAfterUnstuffing() {
        var harness = SessionHarness { $0.maximumMessageSize = 9 }
        openData(&harness)
        harness.send(crlf("..abcdef", "."))  // 10 octets as sent, 9 as stored
        #expect(harness.message() == ".abcdef\r\n")
    }

    @Test("A much larger message is refused and nothing of it is kept")
    func farTooLarge() {
        var harness = SessionHarness { $0.maximumMessageSize = 1_000 }
        openData(&harness)
        for _ in 0..<100 { harness.send(crlf(repeated("z", 500))) }
        harness.send(crlf("."))
        #expect(harness.lastReply?.status == "552 5.3.4")
        #expect(harness.deliveries.isEmpty)
    }

    @Test("SIZE= above the limit is refused at MAIL with 552 5.3.4; at the limit it is accepted")
    func declaredSize() {
        var harness = SessionHarness { $0.maximumMessageSize = 1_000 }
        harness.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test> SIZE=1001", "MAIL FROM:<bob@remote.test> SIZE=1000"))
        #expect(harness.replies(after: 2).map(\.status) == ["552 5.3.4", "250 2.0.0"])
        #expect(harness.queueIDsIssued == 1)
        #expect(harness.replies.dropFirst().first?.lines.contains("SIZE 1000") == true)
    }

    @Test("Recipients over the maximum get 452 4.5.3; the accepted ones still get the message")
    func tooManyRecipients() {
        var harness = SessionHarness { $0.maximumRecipients = 2 }
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>",
            "RCPT TO:<alice@example.test>", "RCPT TO:<postmaster@example.test>", "RCPT TO:<Alice@example.test>",
            "DATA", "x", "."))
        #expect(harness.replies(after: 3).map(\.status) == ["250 2.0.0", "250 2.0.0", "452 4.5.3", "354", "250 2.0.0"])
        #expect(harness.checks.count == 2)
        #expect(harness.deliveries.first?.recipients.count == 2)
    }

    @Test("452 for too many recipients is not counted as an error")
    func tooManyRecipientsNotAnError() {
        var harness = SessionHarness {
            $0.maximumRecipients = 1
            $0.maximumErrors = 2
        }
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>",
            "RCPT TO:<postmaster@example.test>", "RCPT TO:<Postmaster@example.test>", "RCPT TO:<POSTMASTER@example.test>"))
        #expect(harness.replies(after: 4).map(\.status) == ["452 4.5.3", "452 4.5.3", "452 4.5.3"])
        #expect(!harness.closed)
        #expect(harness.session.errorCount == 0)
    }

    @Test("Errors reaching maximumErrors close the session with 421", arguments: [1, 3, 10])
    func tooManyErrors(_ maximum: Int) {
        var harness = SessionHarness { $0.maximumErrors = maximum }
        harness.send(crlf("EHLO client.test"))
        for _ in 0..<(maximum + 5) { harness.send(crlf("BOGUS")) }
        let statuses = harness.replies(after: 2).map(\.status)
        #expect(statuses == Array(repeating: "500 5.5.1", count: maximum - 1) + ["421 4.7.0"])
        #expect(harness.lastReply?.lines == ["mx.example.test Too many errors, closing connection"])
        #expect(harness.closed && harness.session.isClosed)
    }

    @Test("Refused recipients count as errors: a dictionary attack is cut off")
    func dictionaryAttack() {
        var harness = SessionHarness { $0.maximumErrors = 5 }
        harness.send(crlf("EHLO client.test", "MAIL FROM:<spam@remote.test>"))
        for name in ["a", "b", "c", "d", "e", "f", "g"] { harness.send(crlf("RCPT TO:<\(name)@example.test>")) }
        #expect(harness.replies(after: 3).map(\.status) == ["550 5.1.1", "550 5.1.1", "550 5.1.1", "550 5.1.1", "421 4.7.0"])
        #expect(harness.closed)
        #expect(harness.checks.count == 5)
    }

    @Test("More than maximumCommands commands close the session with 421")
    func tooManyCommands() {
        var harness = SessionHarness { $0.maximumCommands = 5 }
        harness.send(crlf("EHLO client.test", "NOOP", "NOOP", "NOOP", "NOOP", "NOOP", "NOOP"))
        #expect(harness.replies(after: 1).map(\.status) == ["250", "250 2.0.0", "250 2.0.0", "250 2.0.0", "250 2.0.0", "421 4.7.0"])
        #expect(harness.lastReply?.lines == ["mx.example.test Too many commands, closing connection"])
        #expect(harness.closed)
    }

    @Test("Message text lines are not counted as commands")
    func dataLinesAreNotCommands() {
        var harness = SessionHarness { $0.maximumCommands = 5 }
        openData(&harness)
        for index in 0..<50 { harness.send(crlf("line \(index)")) }
        harness.send(crlf("."))
        #expect(harness.deliveries.count == 1)
        #expect(harness.session.commandCount == 4)
    }
}
