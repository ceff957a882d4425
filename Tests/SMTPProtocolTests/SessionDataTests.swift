import MailCore
import SMTPProtocol
import Testing

/// EHLO, MAIL, RCPT alice, DATA: the session is then reading message text.
func openData(_ harness: inout SessionHarness, mailParameters: String = "") {
    harness.send(crlf(
        "EHLO client.test", "MAIL FROM:<bob@remote.test>\(mailParameters)", "RCPT TO:<alice@example.test>", "DATA"))
}

@Suite("SMTPSession: message text")
struct SessionDataTests {
    @Test("Message bytes are delivered exactly, CRLF line endings, without the final dot")
    func exactBytes() {
        var harness = SessionHarness()
        openData(&harness)
        harness.send(crlf("From: bob@remote.test", "Subject: test", "", "line one", "  indented", "", "", "last", "."))
        #expect(harness.lastReply?.status == "250 2.0.0")
        #expect(harness.message() == "From: bob@remote.test\r\nSubject: test\r\n\r\nline one\r\n  indented\r\n\r\n\r\nlast\r\n")
    }

    @Test("Dot-stuffed lines lose exactly one leading dot", arguments: [
        ("..", "."), ("...", ".."), ("..foo", ".foo"), (".foo", "foo"), (". ", " "), ("a.", "a."), ("x..", "x.."),
    ])
    func dotUnstuffing(_ sent: String, _ stored: String) {
        var harness = SessionHarness()
        openData(&harness)
        harness.send(crlf("before", sent, "after", "."))
        #expect(harness.message() == "before\r\n\(stored)\r\nafter\r\n")
    }

    @Test("An empty message (DATA then '.') is delivered as zero bytes")
    func emptyMessage() {
        var harness = SessionHarness()
        openData(&harness)
        harness.send(crlf("."))
        #expect(harness.deliveries.count == 1)
        #expect(harness.message() == "")
    }

    @Test("8-bit and non-UTF-8 bytes pass through untouched")
    func eightBit() {
        var harness = SessionHarness()
        openData(&harness, mailParameters: " BODY=8BITMIME")
        let body: [UInt8] = Array("Subject: Gr\u{FC}\u{DF}e\r\n\r\n".utf8) + [0xE9, 0x00, 0xFF, 0x80] + Array("\r\n.\r\n".utf8)
        harness.send(bytes: body)
        let stored = harness.deliveries.first.map { Array($0.message.readableBytesView) }
        #expect(stored == Array(body.dropLast(3)))
    }

    @Test("No reply is sent for message lines; the session reads data until the final dot")
    func noRepliesDuringData() {
        var harness = SessionHarness()
        openData(&harness)
        let before = harness.replies.count
        harness.send(crlf("MAIL FROM:<eve@remote.test>", "QUIT", "RSET", "DATA"))
        #expect(harness.replies.count == before)
        #expect(harness.session.isReadingData)
        #expect(!harness.closed)
        harness.send(crlf("."))
        #expect(harness.message() == "MAIL FROM:<eve@remote.test>\r\nQUIT\r\nRSET\r\nDATA\r\n")
        #expect(!harness.session.isReadingData)
    }

    @Test("After delivery the session is back outside a transaction")
    func afterDelivery() {
        var harness = SessionHarness()
        openData(&harness)
        harness.send(crlf("x", ".", "RCPT TO:<alice@example.test>"))
        #expect(harness.lastReply?.status == "503 5.5.1")
    }

    @Test("Every accepted recipient is in the delivered transaction; refused ones are not")
    func recipientsDelivered() {
        var harness = SessionHarness()
        harness.send(crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>",
            "RCPT TO:<nobody@example.test>", "RCPT TO:<Alice@Example.Test>", "RCPT TO:<alice@remote.test>",
            "DATA", "x", "."))
        let delivered = harness.deliveries.first?.recipients ?? []
        #expect(delivered.count == 2)
        #expect(delivered.allSatisfy { $0.destination == .local(accounts: ["alice@example.test"]) })
        #expect(harness.deliveries.first?.refusedRecipients == 2)
    }

    @Test("Lines split across reads, or sent one byte per read, give the same message and replies")
    func dripFeed() {
        let dialogue = crlf(
            "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA",
            "Subject: drip", "", "..dot", "text", ".", "QUIT")
        var atOnce = SessionHarness()
        atOnce.send(dialogue)
        var dripped = SessionHarness()
        dripped.drip(dialogue)
        #expect(atOnce.message() == "Subject: drip\r\n\r\n.dot\r\ntext\r\n")
        #expect(dripped.replies == atOnce.replies)
        #expect(dripped.message() == atOnce.message())
    }

    @Test("A whole realistic dialogue gives identical replies and messages whether fed at once or byte by byte", arguments: [1, 3, 10])
    func dripFeedRealisticDialogue(_ chunkSize: Int) {
        var atOnce = SessionHarness()
        atOnce.send(realisticDialogue)
        var dripped = SessionHarness()
        dripped.send(bytes: Array(realisticDialogue.utf8), chunkSize: chunkSize)
        #expect(atOnce.deliveries.count == 2)
        #expect(atOnce.closed)
        #expect(dripped.replies == atOnce.replies)
        #expect(dripped.deliveries.map(\.message) == atOnce.deliveries.map(\.message))
        #expect(dripped.deliveries.map(\.recipients) == atOnce.deliveries.map(\.recipients))
    }
}
