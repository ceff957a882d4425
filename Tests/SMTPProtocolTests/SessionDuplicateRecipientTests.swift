import MailCore
import SMTPProtocol
import Testing

@Suite("SMTPSession: a recipient given twice is kept once")
struct SessionDuplicateRecipientTests {
    /// An authenticated client, so that remote recipients are relayed.
    static func authenticated() -> SessionHarness {
        var harness = SessionHarness {
            $0.startTLSAvailable = true; $0.authenticationAvailable = true
        }
        harness.send(crlf("EHLO client.test", "STARTTLS"))
        harness.send(
            crlf("EHLO client.test", "AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABzM2NyZXQ=", "MAIL FROM:<alice@example.test>"))
        return harness
    }

    @Test(
        "The same mailbox twice, the domain in other case or the local part needlessly quoted, is one recipient",
        arguments: [
            ["<bob@remote.example>", "<bob@REMOTE.example>"],
            ["<bob@remote.example>", "<bob@remote.example>"],
            ["<bob@remote.example>", "<\"bob\"@Remote.Example>"],
        ])
    func mergedRemote(_ paths: [String]) {
        var harness = Self.authenticated()
        #expect(harness.lastReply?.code == 250)
        let before = harness.replies.count
        harness.send(crlf("RCPT TO:\(paths[0])", "RCPT TO:\(paths[1])", "DATA", "Subject: x", "", "y", "."))
        #expect(harness.replies(after: before).map(\.code) == [250, 250, 354, 250])
        #expect(harness.deliveries.count == 1)
        #expect(harness.deliveries[0].recipients.count == 1)
        // The directory and the policy were asked once: the second RCPT is answered from the first.
        #expect(harness.checks.count == 1)
    }

    @Test("Local parts differ by case: two recipients for a remote domain (RFC 5321 § 2.4: only its host may fold case)")
    func localPartCaseKept() {
        var harness = Self.authenticated()
        harness.send(crlf("RCPT TO:<bob@remote.example>", "RCPT TO:<Bob@remote.example>"))
        #expect(harness.acceptedRecipients.count == 2)
    }

    @Test("Duplicates do not count against the recipient limit")
    func duplicatesNotCounted() {
        var harness = SessionHarness { $0.maximumRecipients = 2 }
        harness.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>"))
        harness.send(
            crlf(
                "RCPT TO:<alice@example.test>", "RCPT TO:<alice@EXAMPLE.test>", "RCPT TO:<alice@example.test>",
                "RCPT TO:<postmaster@example.test>"))
        #expect(harness.replies.suffix(4).map(\.code) == [250, 250, 250, 250])
        #expect(harness.acceptedRecipients.count == 2)
    }

    @Test("A refused recipient given again is checked again, not merged")
    func refusedIsCheckedAgain() {
        var harness = SessionHarness()
        harness.send(
            crlf(
                "EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<nobody@example.test>",
                "RCPT TO:<nobody@example.test>"))
        #expect(harness.replies.suffix(2).map(\.code) == [550, 550])
        #expect(harness.checks.count == 2)
    }
}
