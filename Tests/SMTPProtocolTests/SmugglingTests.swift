import MailCore
import SMTPProtocol
import Testing

/// SMTP smuggling (CVE-2023-51764 and friends): a message whose text contains
/// an end-of-data look-alike followed by a second transaction. A server that
/// ends the message at the look-alike executes the smuggled commands and
/// delivers a forged second message. Only CR LF "." CR LF may end DATA.
@Suite("SMTPSession: SMTP smuggling")
struct SmugglingTests {
    static let smuggledTransaction = crlf(
        "MAIL FROM:<ceo@example.test>", "RCPT TO:<alice@example.test>", "DATA",
        "From: ceo@example.test", "Subject: smuggled", "", "wire the money")

    /// The fake endings, as they would appear right after the text "first body".
    static let fakeEndings: [String] = ["\n.\n", "\r.\r", "\n.\r\n", "\r\n.\r", "\r.\n", "\r\n.\n"]

    @Test("A fake end-of-data inside a message neither ends it nor creates a second delivery", arguments: fakeEndings)
    func fakeEndingIsRefused(_ ending: String) {
        var harness = SessionHarness()
        openData(&harness)
        let afterDATA = harness.replies.count
        harness.send("Subject: first\r\n\r\nfirst body" + ending + Self.smuggledTransaction + crlf(".", "QUIT"))
        // One reply for the whole message, at the real CR LF . CR LF, then 221.
        #expect(harness.replies(after: afterDATA).map(\.status) == ["554 5.6.0", "221 2.0.0"],
            "ending \(ending.debugDescription)")
        #expect(harness.deliveries.isEmpty, "ending \(ending.debugDescription) delivered \(harness.deliveries.count) message(s)")
        #expect(harness.checks.count == 1, "the smuggled RCPT was executed")
        #expect(harness.queueIDsIssued == 1, "the smuggled MAIL was executed")
    }

    @Test("The same holds when the fake ending is the very first thing after DATA", arguments: fakeEndings)
    func fakeEndingRightAfterDATA(_ ending: String) {
        var harness = SessionHarness()
        openData(&harness)
        // Drop the leading "first body" position: the look-alike follows DATA's own CR LF.
        let text = ending.hasPrefix("\r\n") ? String(ending.dropFirst(2)) : ending
        harness.send(text + Self.smuggledTransaction + crlf("."))
        #expect(harness.deliveries.isEmpty, "ending \(ending.debugDescription)")
        #expect(harness.queueIDsIssued == 1, "ending \(ending.debugDescription): the smuggled MAIL was executed")
    }

    @Test("The same holds when the attack arrives one byte per read", arguments: fakeEndings)
    func fakeEndingDripFed(_ ending: String) {
        var harness = SessionHarness()
        openData(&harness)
        harness.drip("first body" + ending + Self.smuggledTransaction + crlf("."))
        #expect(harness.deliveries.isEmpty, "ending \(ending.debugDescription)")
        #expect(harness.lastReply?.status == "554 5.6.0")
    }

    @Test("An over-long line that ends in a bare LF, then '.', must not end the message and run smuggled commands",
          arguments: [nil, 1])
    func overlongLineThenDot(_ chunkSize: Int?) {
        var harness = SessionHarness()
        openData(&harness)
        let attack = "first body\r\n" + repeated("x", 1500) + "\n.\r\n" + Self.smuggledTransaction + crlf(".")
        harness.send(bytes: Array(attack.utf8), chunkSize: chunkSize)
        #expect(harness.deliveries.isEmpty)
        #expect(harness.queueIDsIssued == 1, "the smuggled MAIL was executed")
        #expect(harness.lastReply?.code == 554)
    }

    @Test("A tainted message is refused with 554 5.6.0, never repaired and delivered")
    func taintedMessageRefused() {
        var harness = SessionHarness()
        openData(&harness)
        harness.send("line with bare LF\nline with bare\rCR\r\n.\r\n")
        #expect(harness.lastReply == SMTPReply(
            554, .init(5, 6, 0), "Message refused: bare CR or LF in message text; lines must end with CRLF"))
        #expect(harness.deliveries.isEmpty)
        // The session is usable again for a clean message.
        harness.send(crlf("MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA", "clean", "."))
        #expect(harness.message() == "clean\r\n")
    }

    @Test("The real end of data after a line that contains a bare CR but ends in CR LF is honoured")
    func realEndAfterTaintedLine() {
        var harness = SessionHarness()
        openData(&harness)
        harness.send("bad\rline\r\n.\r\n" + crlf("NOOP"))
        #expect(harness.replies.suffix(2).map(\.status) == ["554 5.6.0", "250 2.0.0"])
    }
}
