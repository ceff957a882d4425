import MailCore
import SMTPClient
import Testing

@Suite("SMTPClientSession: STARTTLS (RFC 3207) and AUTH (RFC 4954)")
struct SessionTLSAuthTests {
    @Test("STARTTLS offered: the client starts TLS, then sends EHLO again and uses only the new reply")
    func startTLS() {
        var harness = ClientHarness()  // the default policy is opportunistic
        harness.server("220 mx.dest.test ESMTP\r\n")
        #expect(harness.server(ehlo(["PIPELINING", "STARTTLS"])) == ["STARTTLS\r\n"])
        #expect(harness.server("220 2.0.0 Ready to start TLS\r\n") == ["STARTTLS!"])
        #expect(harness.session.stage == .tlsHandshake)
        #expect(harness.tlsUp() == ["EHLO client.test\r\n"])
        #expect(harness.session.tlsActive)
        // The post-TLS EHLO has no PIPELINING: the client must not pipeline.
        #expect(harness.server(ehlo(["SIZE 1000"])) == ["MAIL FROM:<sender@origin.test> SIZE=24\r\n"])
        #expect(!harness.session.pipelined)
        #expect(harness.session.remote == "192.0.2.1:25 (TLSv1.3, test)")
    }

    @Test("Replies that arrive in the same read as the 220 to STARTTLS are never interpreted")
    func plaintextAfterStartTLSDropped() {
        var harness = ClientHarness()
        harness.greetAndEHLO(["STARTTLS"])
        #expect(harness.server("220 2.0.0 Ready\r\n250 injected\r\n") == ["STARTTLS!"])
        #expect(harness.session.stage == .tlsHandshake)
        #expect(harness.tlsUp() == ["EHLO client.test\r\n"])
    }

    @Test("STARTTLS not offered: opportunistic goes on in plaintext")
    func opportunisticWithoutOffer() {
        var harness = ClientHarness { $0.tls = .opportunistic }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo(["8BITMIME"])) == ["MAIL FROM:<sender@origin.test>\r\n"])
        #expect(!harness.session.tlsActive)
    }

    @Test("STARTTLS not offered: required fails temporarily without sending MAIL")
    func requiredWithoutOffer() {
        var harness = ClientHarness { $0.tls = .required(serverName: "mx.dest.test") }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo(["8BITMIME"])) == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.isPermanent == false)
        #expect(harness.failure?.reason.contains("TLS is required") == true)
        #expect(!harness.allWritten.contains("MAIL"))
    }

    @Test("STARTTLS refused (454): opportunistic goes on in plaintext, required fails")
    func startTLSRefused() {
        var opportunistic = ClientHarness { $0.tls = .opportunistic }
        opportunistic.greetAndEHLO(["STARTTLS"])
        #expect(opportunistic.server("454 4.7.0 TLS not available\r\n") == ["MAIL FROM:<sender@origin.test>\r\n"])

        var required = ClientHarness { $0.tls = .required(serverName: nil) }
        required.greetAndEHLO(["STARTTLS"])
        #expect(required.server("454 4.7.0 TLS not available\r\n") == ["QUIT\r\n"])
        required.server("221 bye\r\n")
        #expect(required.failure?.isPermanent == false)
        #expect(required.failure?.reply?.code == 454)
    }

    @Test("TLS disabled: STARTTLS is never sent even when offered")
    func disabled() {
        var harness = ClientHarness { $0.tls = .disabled }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo(["STARTTLS"])) == ["MAIL FROM:<sender@origin.test>\r\n"])
    }

    @Test("A failed handshake ends the attempt temporarily")
    func handshakeFailed() {
        var harness = ClientHarness()
        harness.greetAndEHLO(["STARTTLS"])
        harness.server("220 go\r\n")
        guard case .close(.failed(let reason, nil, false)) = harness.session.tlsFailed("certificate expired") else {
            Issue.record("a failed handshake did not close the attempt")
            return
        }
        #expect(reason.contains("certificate expired"))
    }

    @Test("AUTH PLAIN sends base64(NUL user NUL password) as the initial response, after TLS")
    func authPlain() {
        var harness = ClientHarness {
            $0.credentials = Credentials(username: "user", password: "pass")
        }
        harness.greetAndEHLO(["STARTTLS", "AUTH LOGIN"])  // AUTH before TLS is ignored
        harness.server("220 go\r\n")
        #expect(harness.tlsUp() == ["EHLO client.test\r\n"])
        #expect(harness.server(ehlo(["AUTH LOGIN PLAIN", "PIPELINING"])) == ["AUTH PLAIN AHVzZXIAcGFzcw==\r\n"])
        #expect(harness.session.isAuthenticating)
        #expect(harness.server("235 2.7.0 Authentication successful\r\n").first?.hasPrefix("MAIL FROM:") == true)
        #expect(!harness.session.isAuthenticating)
    }

    @Test("AUTH LOGIN when PLAIN is not offered: user name and password, each base64, after 334")
    func authLogin() {
        var harness = ClientHarness {
            $0.credentials = Credentials(username: "user", password: "pass")
            $0.tls = .disabled
            $0.allowPlaintextAuth = true
        }
        harness.greetAndEHLO(["AUTH=LOGIN"])
        #expect(harness.allWritten.hasSuffix("AUTH LOGIN\r\n"))
        #expect(harness.server("334 VXNlcm5hbWU6\r\n") == ["dXNlcg==\r\n"])
        #expect(harness.server("334 UGFzc3dvcmQ6\r\n") == ["cGFzcw==\r\n"])
        #expect(harness.server("235 2.7.0 ok\r\n") == ["MAIL FROM:<sender@origin.test>\r\n"])
    }

    @Test("Credentials are not sent without TLS unless allowed: the attempt fails before AUTH")
    func noPlaintextAuth() {
        var harness = ClientHarness {
            $0.credentials = Credentials(username: "user", password: "pass")
            $0.tls = .opportunistic
        }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo(["AUTH PLAIN LOGIN"])) == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.isPermanent == false)
        #expect(!harness.allWritten.contains("AUTH"))
        #expect(!harness.allWritten.contains("AHVzZXIAcGFzcw=="))
    }

    @Test("Credentials configured but the server offers no usable mechanism: failure, nothing sent")
    func noMechanism() {
        var harness = ClientHarness {
            $0.credentials = Credentials(username: "user", password: "pass")
            $0.allowPlaintextAuth = true
        }
        harness.server("220 mx\r\n")
        #expect(harness.server(ehlo(["AUTH CRAM-MD5"])) == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.reason.contains("CRAM-MD5") == true)
    }

    @Test("AUTH refused (535) is a temporary failure: a wrong password must not bounce the queue")
    func authRefused() {
        var harness = ClientHarness {
            $0.credentials = Credentials(username: "user", password: "wrong")
            $0.allowPlaintextAuth = true
        }
        harness.greetAndEHLO(["AUTH PLAIN"])
        #expect(harness.server("535 5.7.8 Authentication credentials invalid\r\n") == ["QUIT\r\n"])
        harness.server("221 bye\r\n")
        #expect(harness.failure?.isPermanent == false)
        #expect(harness.failure?.reply?.status == "535 5.7.8")
        #expect(!harness.allWritten.contains("MAIL"))
    }
}
