import MailCore
import SMTPProtocol
import Testing

@Suite("SMTPSession: greeting, EHLO and command sequencing")
struct SessionSequenceTests {
    @Test("The greeting is 220 with the host name")
    func greeting() {
        let harness = SessionHarness()
        #expect(harness.replies == [SMTPReply(220, nil, "mx.example.test ESMTP SIMS")])
        #expect(harness.replies.first?.wireText == "220 mx.example.test ESMTP SIMS\r\n")
    }

    @Test("A client that sends a line before the greeting is dropped with 554")
    func earlyTalker() {
        var harness = SessionHarness(greet: false)
        harness.send(crlf("EHLO client.test"))
        #expect(harness.replies.map(\.status) == ["554 5.5.0"])
        #expect(harness.closed)
        #expect(harness.session.isClosed)
    }

    @Test("EHLO lists the extensions, with SIZE showing the configured limit, and no STARTTLS without a certificate")
    func ehloCapabilities() {
        var harness = SessionHarness { $0.maximumMessageSize = 10_485_760 }
        harness.send(crlf("EHLO client.test"))
        let reply = harness.lastReply
        #expect(reply?.code == 250)
        #expect(reply?.lines == [
            "mx.example.test Hello client.test [192.0.2.10]",
            "PIPELINING", "SIZE 10485760", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES",
        ])
        #expect(reply?.wireText.hasPrefix("250-mx.example.test Hello client.test [192.0.2.10]\r\n250-PIPELINING\r\n") == true)
        #expect(reply?.wireText.hasSuffix("250 ENHANCEDSTATUSCODES\r\n") == true)
    }

    @Test("EHLO offers STARTTLS when a certificate is configured")
    func ehloOffersStartTLS() {
        var harness = SessionHarness { $0.startTLSAvailable = true }
        harness.send(crlf("EHLO client.test"))
        let capabilities = harness.lastReply?.lines.dropFirst() ?? []
        #expect(capabilities.contains("STARTTLS"))
        #expect(capabilities.contains("PIPELINING"))
        #expect(capabilities.contains("ENHANCEDSTATUSCODES"))
        #expect(!capabilities.contains { $0.hasPrefix("AUTH") })
    }

    @Test("HELO gets a one-line 250 and the protocol is plain SMTP")
    func helo() {
        var harness = SessionHarness()
        harness.send(crlf("HELO client.test"))
        #expect(harness.lastReply == SMTPReply(250, nil, "mx.example.test Hello client.test [192.0.2.10]"))
        #expect(harness.session.helloName == "client.test")
        #expect(harness.session.receivedProtocol == "SMTP")
        harness.send(crlf("EHLO client.test"))
        #expect(harness.session.receivedProtocol == "ESMTP")
    }

    @Test("A whole transaction: 250 for MAIL and RCPT, 354 for DATA, 250 with the queue id after storage")
    func wholeTransaction() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA",
            "Subject: hi", "", "hello", ".", "QUIT"))
        #expect(harness.replies.map(\.status) == ["220", "250", "250 2.0.0", "250 2.0.0", "354", "250 2.0.0", "221 2.0.0"])
        #expect(harness.replies[5].lines == ["Message accepted, queue id S.TEST1"])
        #expect(harness.deliveries.count == 1)
        let delivered = harness.deliveries.first
        #expect(delivered?.id == QueueID(rawValue: "S.TEST1"))
        #expect(delivered?.reversePath == .mailbox(Mailbox(localPart: "bob", domain: .name("remote.test"))))
        #expect(delivered?.recipients.map(\.destination) == [.local(accounts: ["alice@example.test"])])
        #expect(harness.message() == "Subject: hi\r\n\r\nhello\r\n")
        #expect(harness.closed)
    }

    @Test("MAIL before EHLO/HELO is 503", arguments: ["MAIL FROM:<bob@remote.test>", "MAIL FROM:<>"])
    func mailBeforeHello(_ command: String) {
        var harness = SessionHarness()
        harness.send(crlf(command))
        #expect(harness.lastReply?.status == "503 5.5.1")
        #expect(harness.queueIDsIssued == 0)
    }

    @Test("RCPT before MAIL is 503, before and after EHLO")
    func rcptBeforeMail() {
        var harness = SessionHarness()
        harness.send(crlf("RCPT TO:<alice@example.test>", "EHLO client.test", "RCPT TO:<alice@example.test>"))
        #expect(harness.replies.map(\.status) == ["220", "503 5.5.1", "250", "503 5.5.1"])
        #expect(harness.checks.isEmpty)
    }

    @Test("DATA before MAIL, and DATA before any RCPT, is 503")
    func dataTooEarly() {
        var harness = SessionHarness()
        harness.send(crlf("DATA", "EHLO client.test", "DATA", "MAIL FROM:<bob@remote.test>", "DATA"))
        #expect(harness.replies.map(\.status) == ["220", "503 5.5.1", "250", "503 5.5.1", "250 2.0.0", "503 5.5.1"])
        #expect(!harness.session.isReadingData)
    }

    @Test("DATA after only refused recipients is 554 no valid recipients, and text that follows is not a message")
    func dataAfterRefusedRecipients() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>",
            "RCPT TO:<nobody@example.test>", "RCPT TO:<alice@remote.test>", "DATA"))
        #expect(harness.replies(after: 3).map(\.status) == ["550 5.1.1", "554 5.7.1", "554 5.5.1"])
        #expect(!harness.session.isReadingData)
        #expect(harness.deliveries.isEmpty)
    }

    @Test("A second MAIL inside a transaction is 503 and keeps the first transaction")
    func nestedMail() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "MAIL FROM:<eve@remote.test>",
            "RCPT TO:<alice@example.test>", "DATA", "x", "."))
        #expect(harness.replies(after: 2).map(\.status) == ["250 2.0.0", "503 5.5.1", "250 2.0.0", "354", "250 2.0.0"])
        #expect(harness.deliveries.first?.reversePath == .mailbox(Mailbox(localPart: "bob", domain: .name("remote.test"))))
        #expect(harness.queueIDsIssued == 1)
    }

    @Test("RSET ends the transaction: RCPT afterwards is 503, a new MAIL works")
    func rset() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "RSET",
            "RCPT TO:<alice@example.test>", "DATA", "MAIL FROM:<carol@remote.test>"))
        #expect(harness.replies(after: 2).map(\.status) == [
            "250 2.0.0", "250 2.0.0", "250 2.0.0", "503 5.5.1", "503 5.5.1", "250 2.0.0",
        ])
        #expect(harness.session.currentTransaction?.recipients.isEmpty == true)
        #expect(harness.session.currentTransaction?.reversePath
            == .mailbox(Mailbox(localPart: "carol", domain: .name("remote.test"))))
    }

    @Test("RSET before EHLO is 250 but does not count as a greeting")
    func rsetBeforeHello() {
        var harness = SessionHarness()
        harness.send(crlf("RSET", "MAIL FROM:<bob@remote.test>"))
        #expect(harness.replies(after: 1).map(\.status) == ["250 2.0.0", "503 5.5.1"])
    }

    @Test("EHLO in the middle of a transaction resets it")
    func ehloResets() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>",
            "EHLO client.test", "DATA"))
        #expect(harness.lastReply?.status == "503 5.5.1")
        #expect(harness.session.currentTransaction == nil)
    }

    @Test("NOOP is 250 in every state, with or without an argument")
    func noop() {
        var harness = SessionHarness()
        harness.send(crlf("NOOP", "EHLO client.test", "NOOP hello", "MAIL FROM:<bob@remote.test>", "noop"))
        #expect(harness.replies.map(\.status) == ["220", "250 2.0.0", "250", "250 2.0.0", "250 2.0.0", "250 2.0.0"])
        #expect(harness.session.currentTransaction != nil)
    }

    @Test("QUIT is 221 and closes; nothing after it is interpreted")
    func quit() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO client.test", "QUIT", "MAIL FROM:<bob@remote.test>"))
        #expect(harness.lastReply == SMTPReply(221, .init(2, 0, 0), "mx.example.test closing connection"))
        #expect(harness.closed && harness.session.isClosed)
        #expect(harness.replies.count == 3)
    }

    @Test("VRFY gives the same 252 for an existing and a non-existing user (no user enumeration)")
    func vrfy() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO client.test", "VRFY alice", "VRFY nobody-here", "VRFY <alice@example.test>"))
        let answers = harness.replies(after: 2)
        #expect(answers.map(\.status) == ["252 2.5.0", "252 2.5.0", "252 2.5.0"])
        #expect(Set(answers).count == 1)
        #expect(harness.checks.isEmpty)
    }

    @Test("EXPN is refused with 502")
    func expn() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO client.test", "EXPN staff"))
        #expect(harness.lastReply?.status == "502 5.5.1")
    }

    @Test("HELP is a multi-line 214")
    func help() {
        var harness = SessionHarness()
        harness.send(crlf("HELP"))
        let reply = harness.lastReply
        #expect(reply?.status == "214 2.0.0")
        #expect((reply?.lines.count ?? 0) >= 2)
        #expect(reply?.wireText.hasPrefix("214-2.0.0 ") == true)
    }

    @Test("An unknown verb is 500 5.5.1 and the session continues")
    func unknownVerb() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO client.test", "XYZZY", "NOOP"))
        #expect(harness.replies(after: 2).map(\.status) == ["500 5.5.1", "250 2.0.0"])
        #expect(harness.session.errorCount == 1)
    }

    @Test("A command that is not valid UTF-8 is 500 5.5.2")
    func invalidUTF8() {
        var harness = SessionHarness()
        harness.send(bytes: Array("EHLO client.test\r\nNOOP ".utf8) + [0xFF, 0xFE] + Array("\r\nNOOP\r\n".utf8))
        #expect(harness.replies(after: 2).map(\.status) == ["500 5.5.2", "250 2.0.0"])
    }

    @Test("Commands ending in a bare LF or containing a bare CR are refused with 500 5.5.2, not executed")
    func bareLineEndingsInCommands() {
        var harness = SessionHarness()
        harness.send("EHLO client.test\r\nMAIL FROM:<bob@remote.test>\nRSET\rMAIL FROM:<eve@remote.test>\r\n")
        #expect(harness.replies(after: 2).map(\.status) == ["500 5.5.2", "500 5.5.2"])
        #expect(harness.session.currentTransaction == nil)
        #expect(harness.queueIDsIssued == 0)
    }

    @Test("A refused MAIL (size, auth, sequence) does not use up a queue id; each accepted one gets its own")
    func queueIDs() {
        var harness = SessionHarness { $0.maximumMessageSize = 1000 }
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test> SIZE=5000",
            "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA", "one", ".",
            "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA", "two", "."))
        #expect(harness.deliveries.map(\.id.rawValue) == ["S.TEST1", "S.TEST2"])
        #expect(harness.message(0) == "one\r\n")
        #expect(harness.message(1) == "two\r\n")
        #expect(harness.queueIDsIssued == 2)
    }

    @Test("The null reverse-path is accepted for bounces")
    func nullSender() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO client.test", "MAIL FROM:<>", "RCPT TO:<alice@example.test>", "DATA", "bounce", "."))
        #expect(harness.deliveries.first?.reversePath == .null)
    }

    @Test("RCPT TO:<Postmaster> is accepted (RFC 5321 § 4.5.1)")
    func postmaster() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<Postmaster>", "RCPT TO:<postmaster@example.test>"))
        #expect(harness.replies(after: 3).map(\.status) == ["250 2.0.0", "250 2.0.0"])
        #expect(harness.checks.first?.path == .localPostmaster)
    }

    @Test("A temporary storage failure is passed on to the client, and nothing is reported accepted")
    func temporaryFailure() {
        var harness = SessionHarness()
        harness.deliveryOutcome = .temporaryFailure(SMTPReply(451, .init(4, 3, 0), "Try later"))
        harness.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA", "x", ".", "NOOP"))
        #expect(harness.replies(after: 4).map(\.status) == ["354", "451 4.3.0", "250 2.0.0"])
        #expect(harness.session.currentTransaction == nil)
    }

    @Test("Submission without authentication: MAIL gets 530 5.7.0")
    func authenticationRequired() {
        var harness = SessionHarness { $0.authenticationRequired = true }
        harness.send(crlf("EHLO client.test", "MAIL FROM:<bob@example.test>", "RCPT TO:<alice@example.test>"))
        #expect(harness.replies(after: 2).map(\.status) == ["530 5.7.0", "503 5.5.1"])
        #expect(harness.queueIDsIssued == 0)
        #expect(harness.checks.isEmpty)
    }

    @Test("After the greeting, every reply except to EHLO/HELO and 354 carries an enhanced status code")
    func enhancedCodesEverywhere() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "NOOP", "HELP", "VRFY alice", "EXPN x", "FOO", "MAIL FROM:<bob@remote.test>",
            "MAIL FROM:<bob@remote.test>", "RCPT TO:<nobody@example.test>", "RCPT TO:<x@remote.test>",
            "RCPT TO:<alice@example.test>", "DATA", "x", ".", "RSET", "DATA x", "STARTTLS", "QUIT"))
        let others = harness.replies.enumerated().filter { index, reply in
            index > 1 && reply.code != 354
        }
        #expect(others.count == 15)
        for (_, reply) in others {
            #expect(reply.enhanced != nil, "\(reply)")
            #expect(reply.enhanced?.statusClass == reply.code / 100, "\(reply)")
        }
    }
}
