import MailCore
import SMTPClient
import Testing

@Suite("SMTPClientSession: connection reuse (several transactions per session, RFC 5321 § 3.3)")
struct SessionReuseTests {
    /// A first transaction with PIPELINING and SIZE that ends in KEEP; returns what it negotiated.
    static func firstTransaction() -> (ClientHarness, [String]) {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.session.keepsConnectionOpen = true
        harness.greetAndEHLO(["PIPELINING", "SIZE 1000000", "8BITMIME"])
        harness.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        let end = harness.server("250 2.0.0 Ok: queued as A1\r\n")
        return (harness, end)
    }

    @Test("With keepsConnectionOpen, the reply to the final dot ends in KEEP, not QUIT; the outcome is settled")
    func keepsOpen() {
        let (harness, end) = Self.firstTransaction()
        #expect(end == ["KEEP"])
        #expect(!harness.allWritten.contains("QUIT"))
        #expect(harness.session.stage == nil)
        #expect(harness.recipientReplies?.mapValues(\.status) == ["rcpt@dest.test": "250 2.0.0"])
        let established = harness.session.established
        #expect(established.capabilities.pipelining && established.capabilities.sizeLimit == 1_000_000)
        #expect(established.usedEHLO && !established.tlsActive)
        #expect(established.remote == "192.0.2.1:25 (no TLS)")
    }

    @Test("Without keepsConnectionOpen (the default), the session still QUITs after the transaction")
    func defaultQuits() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.greetAndEHLO(["PIPELINING"])
        harness.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        #expect(harness.server("250 2.0.0 Ok\r\n") == ["QUIT\r\n"])
    }

    @Test("A 421 to the final dot is not kept: the server is closing")
    func closingServerNotKept() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.session.keepsConnectionOpen = true
        harness.greetAndEHLO(["PIPELINING"])
        harness.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go ahead\r\n")
        #expect(harness.server("421 4.3.2 Shutting down\r\n") == ["CLOSE"])
    }

    @Test("A reused connection: exactly RSET, then MAIL/RCPT/DATA (pipelined, SIZE as negotiated), no greeting, no EHLO")
    func reuseBytes() {
        let (first, _) = Self.firstTransaction()
        let message = Array("Subject: second\r\n\r\nAgain\r\n".utf8)
        var harness = ClientHarness(
            resuming: first.session.established,
            envelope: OutboundEnvelope(reversePath: "other@origin.test", recipients: ["x@dest.test", "y@dest.test"]),
            message: message
        ) { $0.tls = .disabled }
        #expect(harness.session.isReused)
        #expect(harness.resume() == ["RSET\r\n"])
        #expect(harness.session.stage == .command)
        #expect(
            harness.server("250 2.0.0 Ok\r\n")
                == ["MAIL FROM:<other@origin.test> SIZE=26\r\nRCPT TO:<x@dest.test>\r\nRCPT TO:<y@dest.test>\r\nDATA\r\n"])
        #expect(
            harness.server("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n") == [
                "MESSAGE:Subject: second\r\n\r\nAgain\r\n.\r\n"
            ])
        #expect(harness.server("250 2.0.0 Ok: queued as B2\r\n") == ["QUIT\r\n"])
        #expect(harness.server("221 Bye\r\n") == ["CLOSE"])
        #expect(
            harness.allWritten
                == "RSET\r\nMAIL FROM:<other@origin.test> SIZE=26\r\nRCPT TO:<x@dest.test>\r\nRCPT TO:<y@dest.test>\r\nDATA\r\n"
                + "MESSAGE:Subject: second\r\n\r\nAgain\r\n.\r\nQUIT\r\n")
        #expect(!harness.allWritten.contains("EHLO") && !harness.allWritten.contains("HELO"))
        #expect(harness.recipientReplies?.mapValues(\.status) == ["x@dest.test": "250 2.0.0", "y@dest.test": "250 2.0.0"])
        #expect(!harness.session.reusedConnectionFailed)
        guard case .transaction(_, let remote) = harness.outcome else { return }
        #expect(remote == "192.0.2.1:25 (no TLS)")
    }

    @Test("A reused connection without PIPELINING, kept open again: RSET, MAIL, RCPT, DATA one by one, then KEEP")
    func reuseWithoutPipelining() {
        var harness = ClientHarness(
            resuming: EstablishedConnection(
                baseRemote: "192.0.2.1:25", remote: "192.0.2.1:25 (TLSv1.3, test)", capabilities: ServerCapabilities(),
                usedEHLO: false, tlsActive: true))
        harness.session.keepsConnectionOpen = true
        #expect(harness.resume() == ["RSET\r\n"])
        #expect(harness.server("250 Ok\r\n") == ["MAIL FROM:<sender@origin.test>\r\n"])
        #expect(harness.server("250 Ok\r\n") == ["RCPT TO:<rcpt@dest.test>\r\n"])
        #expect(harness.server("250 Ok\r\n") == ["DATA\r\n"])
        #expect(harness.server("354 go\r\n") == ["MESSAGE:Subject: test\r\n\r\nHello\r\n.\r\n"])
        #expect(harness.server("250 Ok\r\n") == ["KEEP"])
        #expect(harness.session.tlsActive)
        guard case .transaction(_, let remote) = harness.outcome else {
            Issue.record("expected a transaction, got \(String(describing: harness.outcome))")
            return
        }
        #expect(remote == "192.0.2.1:25 (TLSv1.3, test)")
    }

    @Test("RSET refused: the connection is unusable (421: closed at once; 5xx: QUIT), flagged for a fresh retry")
    func resetRefused() {
        let (first, _) = Self.firstTransaction()
        var closing = ClientHarness(resuming: first.session.established)
        closing.resume()
        #expect(closing.server("421 4.4.2 Timeout, closing\r\n") == ["CLOSE"])
        #expect(closing.session.reusedConnectionFailed)
        #expect(closing.failure?.isPermanent == false)

        var refusing = ClientHarness(resuming: first.session.established)
        refusing.resume()
        #expect(refusing.server("502 5.5.2 Command not recognized\r\n") == ["QUIT\r\n"])
        #expect(refusing.session.reusedConnectionFailed)
    }

    @Test("A reused connection lost before the text was sent is flagged; one lost after the final dot is not")
    func lostConnection() {
        let (first, _) = Self.firstTransaction()
        var atReset = ClientHarness(resuming: first.session.established)
        atReset.resume()
        _ = atReset.session.connectionClosed()
        #expect(atReset.session.reusedConnectionFailed)

        var timedOut = ClientHarness(resuming: first.session.established)
        timedOut.resume()
        let outcome = timedOut.session.timedOut(after: "1 s")
        #expect(timedOut.session.reusedConnectionFailed)
        guard case .failed(let reason, _, _) = outcome else { return }
        #expect(reason.contains("RSET"))

        var atMail = ClientHarness(resuming: first.session.established)
        atMail.resume()
        atMail.server("250 Ok\r\n")
        #expect(atMail.server("421 4.3.2 Going down\r\n") == ["CLOSE"])
        #expect(atMail.session.reusedConnectionFailed)

        var afterDot = ClientHarness(resuming: first.session.established)
        afterDot.resume()
        afterDot.server("250 Ok\r\n250 Ok\r\n250 Ok\r\n354 go\r\n")
        #expect(afterDot.session.stage == .dataTermination)
        _ = afterDot.session.connectionClosed()
        #expect(!afterDot.session.reusedConnectionFailed)

        // A fresh connection is never flagged.
        var fresh = ClientHarness()
        _ = fresh.session.connectionClosed()
        #expect(!fresh.session.reusedConnectionFailed)
    }

    @Test("A refusal by the server on a reused connection is the message's outcome, not a dead connection")
    func serverVerdict() {
        let (first, _) = Self.firstTransaction()
        var harness = ClientHarness(resuming: first.session.established)
        harness.resume()
        harness.server("250 Ok\r\n")
        #expect(harness.server("550 5.7.1 Sender rejected\r\n550 5.1.1 No\r\n554 5.5.1 No valid recipients\r\n") == ["QUIT\r\n"])
        #expect(harness.server("221 Bye\r\n") == ["CLOSE"])
        #expect(!harness.session.reusedConnectionFailed)
        #expect(harness.failure?.isPermanent == true)
    }
}
