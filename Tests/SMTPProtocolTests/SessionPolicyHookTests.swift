import MailCore
import NIOCore
import Testing

@testable import SMTPProtocol

/// The anti-spam hooks: with `checksHello`/`checksSender` on, the session asks
/// the driver before it answers HELO/EHLO and MAIL, and carries out its verdict.
@Suite("Session policy hooks")
struct SessionPolicyHookTests {
    static let refusedHello = SMTPReply(550, .init(5, 7, 1), "You are not me")
    static let refusedSender = SMTPReply(550, .init(5, 1, 8), "Sender address rejected: domain does not exist")

    @Test("Without the switches nothing is asked: the session answers at once")
    func offByDefault() {
        var h = SessionHarness()
        h.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>"))
        #expect(h.codes == [220, 250, 250])
        #expect(h.helloChecks.isEmpty && h.senderChecks.isEmpty)
    }

    @Test("An accepted HELO name is asked about once and the reply is the usual one")
    func helloAccepted() {
        var h = SessionHarness { $0.checksHello = true }
        h.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>"))
        #expect(h.helloChecks == ["client.test"])
        #expect(h.codes == [220, 250, 250])
        #expect(h.session.helloName == "client.test")
    }

    @Test("A refused HELO leaves the session waiting for another HELO, and counts as an error")
    func helloRefused() {
        var h = SessionHarness { $0.checksHello = true }
        h.helloVerdict = { $0 == "mx.example.test" ? .reject(Self.refusedHello) : .accept }
        h.send(crlf("EHLO mx.example.test", "MAIL FROM:<bob@remote.test>", "EHLO client.test", "MAIL FROM:<bob@remote.test>"))
        #expect(h.replies.map(\.status) == ["220", "550 5.7.1", "503 5.5.1", "250", "250 2.0.0"])
        #expect(h.session.errorCount == 2)
    }

    @Test("A refusal that closes ends the session after its reply")
    func helloRefusedAndClosed() {
        var h = SessionHarness { $0.checksHello = true }
        h.helloVerdict = { _ in .rejectAndClose(SMTPReply(554, .init(5, 7, 1), "Listed")) }
        h.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>"))
        #expect(h.codes == [220, 554])
        #expect(h.closed)
    }

    @Test("A refused sender starts no transaction: RCPT after it is out of sequence")
    func senderRefused() {
        var h = SessionHarness { $0.checksSender = true }
        h.senderVerdict = { _ in .reject(Self.refusedSender) }
        h.send(crlf("EHLO client.test", "MAIL FROM:<bob@nowhere.test>", "RCPT TO:<alice@example.test>"))
        #expect(h.replies.map(\.status) == ["220", "250", "550 5.1.8", "503 5.5.1"])
        #expect(h.senderChecks.map(\.description) == ["<bob@nowhere.test>"])
        #expect(h.session.currentTransaction == nil)
    }

    @Test("An accepted sender's transaction goes on to RCPT and DATA with the same queue id")
    func senderAccepted() {
        var h = SessionHarness { $0.checksSender = true }
        h.send(crlf("EHLO client.test", "MAIL FROM:<>", "RCPT TO:<alice@example.test>", "DATA", "Subject: x", "", "hi", "."))
        #expect(h.codes == [220, 250, 250, 250, 354, 250])
        #expect(h.deliveries.first?.id.rawValue == "S.TEST1")
        #expect(h.senderChecks == [.null])
    }

    @Test("A recipient verdict that closes (dictionary attack) replies and ends the session")
    func recipientRejectAndClose() {
        var h = SessionHarness()
        h.recipientOverride = { _ in .rejectAndClose(SMTPReply(421, .init(4, 7, 0), "Too many unknown recipients")) }
        h.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<nobody@example.test>", "RCPT TO:<x@example.test>"))
        #expect(h.codes == [220, 250, 250, 421])
        #expect(h.closed)
    }

    @Test("A pipelined line that arrives while a check is pending is a protocol violation, not executed")
    func noLinesWhileChecking() {
        var session = SMTPSession(
            configuration: {
                var c = SMTPSessionConfiguration(hostname: "mx.example.test")
                c.checksSender = true
                return c
            }(), clientAddress: "192.0.2.10")
        _ = session.greet()
        _ = session.receive(line("EHLO a.test"), newQueueID: { QueueID(rawValue: "S.A") })
        let action = session.receive(line("MAIL FROM:<b@c.test>"), newQueueID: { QueueID(rawValue: "S.A") })
        guard case .checkSender = action else {
            Issue.record("expected .checkSender, got \(action)")
            return
        }
        let next = session.receive(line("RCPT TO:<x@y.test>"), newQueueID: { QueueID(rawValue: "S.B") })
        guard case .replyAndClose(let reply) = next else {
            Issue.record("expected a closing reply, got \(next)")
            return
        }
        #expect(reply == Replies.protocolViolation)
    }

    private func line(_ text: String) -> InputLine { InputLine(bytes: ByteBuffer(string: text), ending: .crlf) }
}
