import MailCore
import NIOCore
import SMTPProtocol
import Testing

@Suite("SMTPSession: STARTTLS (RFC 3207)")
struct SessionTLSTests {
    static let tls = TLSInfo(version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")

    @Test("STARTTLS answers 220 and asks the driver to start TLS; afterwards EHLO is required again and no longer lists STARTTLS")
    func fullUpgrade() {
        var harness = SessionHarness { $0.startTLSAvailable = true }
        harness.tlsInfo = Self.tls
        harness.send(crlf("EHLO client.test", "STARTTLS"))
        #expect(harness.startTLSCount == 1)
        #expect(harness.lastReply?.status == "220 2.0.0")
        #expect(harness.session.tls == Self.tls)
        #expect(harness.session.helloName == nil)

        harness.send(crlf("MAIL FROM:<bob@remote.test>"))
        #expect(harness.lastReply?.status == "503 5.5.1")

        harness.send(crlf("EHLO client.test"))
        let capabilities = harness.lastReply?.lines.dropFirst() ?? []
        #expect(harness.lastReply?.code == 250)
        #expect(!capabilities.contains("STARTTLS"))
        #expect(capabilities.contains("ENHANCEDSTATUSCODES"))
        #expect(harness.session.receivedProtocol == "ESMTPS")

        harness.send(crlf("STARTTLS"))
        #expect(harness.lastReply?.status == "503 5.5.1")
        #expect(harness.startTLSCount == 1)

        harness.send(crlf("MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>", "DATA", "secret", "."))
        #expect(harness.deliveries.count == 1)
    }

    @Test("Commands pipelined after STARTTLS in the same plaintext read are never executed")
    func pipelinedPlaintextDropped() {
        var harness = SessionHarness { $0.startTLSAvailable = true }
        harness.send(crlf("EHLO client.test"))
        harness.send(crlf("STARTTLS", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>"))
        #expect(harness.replies(after: 2).map(\.status) == ["220 2.0.0"])
        #expect(harness.checks.isEmpty)
        #expect(harness.session.currentTransaction == nil)
    }

    @Test("A line fed while the handshake is pending closes the session with 554 instead of being executed")
    func lineDuringHandshake() {
        var session = SMTPSession(configuration: {
            var configuration = SMTPSessionConfiguration(hostname: "mx.example.test")
            configuration.startTLSAvailable = true
            return configuration
        }(), clientAddress: "192.0.2.10")
        _ = session.greet()
        var ids = 0
        func line(_ text: String) -> InputLine { InputLine(bytes: ByteBuffer(string: text), ending: .crlf) }
        _ = session.receive(line("EHLO client.test"), newQueueID: { ids += 1; return QueueID(rawValue: "S.X") })
        guard case .startTLS(let reply) = session.receive(line("STARTTLS"), newQueueID: { ids += 1; return QueueID(rawValue: "S.X") })
        else {
            Issue.record("STARTTLS did not ask for a handshake")
            return
        }
        #expect(reply.code == 220)
        let action = session.receive(line("MAIL FROM:<bob@remote.test>"), newQueueID: { ids += 1; return QueueID(rawValue: "S.X") })
        guard case .replyAndClose(let refusal) = action else {
            Issue.record("a plaintext line during the handshake was not refused: \(action)")
            return
        }
        #expect(refusal.status == "554 5.5.0")
        #expect(session.isClosed)
        #expect(ids == 0)
    }

    @Test("STARTTLS without a certificate is 502 (not offered) and nothing starts")
    func notAvailable() {
        var harness = SessionHarness()
        harness.send(crlf("EHLO client.test", "STARTTLS"))
        #expect(harness.lastReply?.status == "502 5.5.1")
        #expect(harness.startTLSCount == 0)
        #expect(harness.session.tls == nil)
    }

    @Test("STARTTLS before EHLO is 503")
    func beforeHello() {
        var harness = SessionHarness { $0.startTLSAvailable = true }
        harness.send(crlf("STARTTLS"))
        #expect(harness.lastReply?.status == "503 5.5.1")
        #expect(harness.startTLSCount == 0)
    }

    @Test("STARTTLS in the middle of a transaction discards it")
    func duringTransaction() {
        var harness = SessionHarness { $0.startTLSAvailable = true }
        harness.send(crlf("EHLO client.test", "MAIL FROM:<bob@remote.test>", "RCPT TO:<alice@example.test>"))
        harness.send(crlf("STARTTLS"))
        harness.send(crlf("EHLO client.test", "DATA"))
        #expect(harness.lastReply?.status == "503 5.5.1")
        #expect(harness.session.currentTransaction == nil)
    }

    @Test("Received protocol names: SMTP after HELO, ESMTP after EHLO, ESMTPS after EHLO over TLS")
    func protocolNames() {
        var harness = SessionHarness { $0.startTLSAvailable = true }
        harness.send(crlf("HELO client.test"))
        #expect(harness.session.receivedProtocol == "SMTP")
        harness.send(crlf("EHLO client.test"))
        #expect(harness.session.receivedProtocol == "ESMTP")
        harness.send(crlf("STARTTLS"))
        harness.send(crlf("EHLO client.test"))
        #expect(harness.session.receivedProtocol == "ESMTPS")
    }
}
