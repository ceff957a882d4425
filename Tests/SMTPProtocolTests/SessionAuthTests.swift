import Foundation
import MailCore
import NIOCore
import SMTPProtocol
import Testing

@Suite("SMTPSession: SMTP AUTH (RFC 4954) and submission")
struct SessionAuthTests {
    static let tls = TLSInfo(version: "TLSv1.3")

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// A session that already finished STARTTLS and EHLO.
    static func secured(submission: Bool = true) -> SessionHarness {
        var harness = SessionHarness {
            $0.startTLSAvailable = true
            $0.authenticationAvailable = true
            $0.authenticationRequired = submission
        }
        harness.tlsInfo = tls
        harness.send(crlf("EHLO client.test", "STARTTLS"))
        harness.send(crlf("EHLO client.test"))
        return harness
    }

    @Test("AUTH is not offered before TLS, and refused with 538 5.7.11 if tried")
    func notBeforeTLS() {
        var harness = SessionHarness {
            $0.startTLSAvailable = true
            $0.authenticationAvailable = true
        }
        harness.send(crlf("EHLO client.test"))
        #expect(!(harness.lastReply?.lines.contains("AUTH PLAIN LOGIN") ?? true))
        harness.send(crlf("AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))"))
        #expect(harness.lastReply?.status == "538 5.7.11")
        #expect(harness.credentialsChecked.isEmpty, "credentials sent in plaintext are never even checked")
    }

    @Test("After STARTTLS, EHLO offers AUTH PLAIN LOGIN; PLAIN with an initial response succeeds")
    func plainInitialResponse() {
        var harness = Self.secured()
        #expect(harness.lastReply?.lines.contains("AUTH PLAIN LOGIN") == true)
        harness.send(crlf("AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))"))
        #expect(harness.lastReply?.status == "235 2.7.0")
        #expect(harness.session.authenticatedUser == "alice@example.test")
        #expect(harness.session.receivedProtocol == "ESMTPSA")
    }

    @Test("PLAIN without initial response: 334, then the response")
    func plainTwoSteps() {
        var harness = Self.secured()
        harness.send(crlf("AUTH PLAIN"))
        #expect(harness.lastReply?.code == 334)
        harness.send(crlf(Self.base64("\0alice@example.test\0s3cret")))
        #expect(harness.lastReply?.status == "235 2.7.0")
    }

    @Test("LOGIN asks for user name and password in base64")
    func login() {
        var harness = Self.secured()
        harness.send(crlf("AUTH LOGIN"))
        #expect(harness.lastReply?.lines == ["VXNlcm5hbWU6"])
        harness.send(crlf(Self.base64("alice@example.test")))
        #expect(harness.lastReply?.lines == ["UGFzc3dvcmQ6"])
        harness.send(crlf(Self.base64("s3cret")))
        #expect(harness.lastReply?.status == "235 2.7.0")
    }

    @Test("A wrong password and an unknown user get the same 535 5.7.8")
    func sameFailure() {
        var wrong = Self.secured()
        wrong.send(crlf("AUTH PLAIN \(Self.base64("\0alice@example.test\0nope"))"))
        var unknown = Self.secured()
        unknown.send(crlf("AUTH PLAIN \(Self.base64("\0nobody@example.test\0s3cret"))"))
        #expect(wrong.lastReply == unknown.lastReply)
        #expect(wrong.lastReply?.status == "535 5.7.8")
        #expect(wrong.session.authenticatedUser == nil)
    }

    @Test("'*' cancels the exchange with 501; bad base64 is 501; unknown mechanisms 504")
    func malformed() {
        var harness = Self.secured()
        harness.send(crlf("AUTH LOGIN", "*"))
        #expect(harness.lastReply?.status == "501 5.7.0")
        harness.send(crlf("AUTH PLAIN !!!notbase64"))
        #expect(harness.lastReply?.status == "501 5.5.2")
        harness.send(crlf("AUTH CRAM-MD5"))
        #expect(harness.lastReply?.status == "504 5.5.4")
        harness.send(crlf("NOOP"))
        #expect(harness.lastReply?.code == 250, "the session is back to commands")
    }

    @Test("An empty password is malformed (RFC 4616: passwd = 1*SAFE), as it is in POP3")
    func emptyPassword() {
        var harness = Self.secured()
        harness.send(crlf("AUTH PLAIN \(Self.base64("\0alice@example.test\0"))"))
        #expect(harness.lastReply?.status == "501 5.5.2")
        #expect(harness.credentialsChecked.isEmpty)
    }

    @Test("Acting as another user (authzid) is refused")
    func noProxyAuthorization() {
        var harness = Self.secured()
        harness.send(crlf("AUTH PLAIN \(Self.base64("bob@example.test\0alice@example.test\0s3cret"))"))
        #expect(harness.lastReply?.status == "535 5.7.8")
        #expect(harness.credentialsChecked.isEmpty)
    }

    @Test("Submission: MAIL needs AUTH (530); after AUTH only owned senders are accepted (553 5.7.1 otherwise)")
    func submissionSenders() {
        var harness = Self.secured()
        harness.send(crlf("MAIL FROM:<alice@example.test>"))
        #expect(harness.lastReply?.status == "530 5.7.0")
        harness.send(crlf("AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))"))
        harness.send(crlf("MAIL FROM:<bob@example.test>"))
        #expect(harness.lastReply?.status == "553 5.7.1")
        harness.send(crlf("MAIL FROM:<Sales@Example.test>"))
        #expect(harness.lastReply?.code == 250, "an alias of the user, in any case")
        harness.send(crlf("RSET", "MAIL FROM:<>"))
        #expect(harness.lastReply?.status == "553 5.7.1", "the null sender would skip the ownership rule")
        #expect(harness.lastReply?.lines.joined().contains("null sender") == true)
    }

    @Test("Issue 11: after AUTH, MAIL FROM:<> is refused on every listener; without AUTH it is a bounce and accepted")
    func nullSenderNeedsNoAuthButIsRefusedAfterIt() {
        var port25 = Self.secured(submission: false)
        port25.send(crlf("MAIL FROM:<>"))
        #expect(port25.lastReply?.code == 250, "bounces from other servers")
        port25.send(crlf("RSET", "AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))", "MAIL FROM:<>"))
        #expect(port25.lastReply?.status == "553 5.7.1")
        port25.send(crlf("MAIL FROM:<alice@example.test>"))
        #expect(port25.lastReply?.code == 250)
    }

    @Test("AUTH twice, or inside a transaction, is 503")
    func sequence() {
        var harness = Self.secured(submission: false)
        harness.send(crlf("MAIL FROM:<bob@remote.test>", "AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))"))
        #expect(harness.lastReply?.status == "503 5.5.1")
        harness.send(crlf("RSET", "AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))"))
        #expect(harness.lastReply?.status == "235 2.7.0")
        harness.send(crlf("AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))"))
        #expect(harness.lastReply?.status == "503 5.5.1")
    }

    @Test("STARTTLS after AUTH is refused, and a new TLS session forgets the authentication")
    func tlsResetsAuthentication() {
        var harness = Self.secured(submission: false)
        harness.send(crlf("AUTH PLAIN \(Self.base64("\0alice@example.test\0s3cret"))"))
        #expect(harness.session.authenticatedUser != nil)
        harness.session.tlsEstablished(Self.tls)
        #expect(harness.session.authenticatedUser == nil)
    }
}

@Suite("SMTPCommandParser: AUTH")
struct AuthCommandParserTests {
    @Test("AUTH takes a mechanism (upper-cased) and an optional initial response")
    func parse() throws {
        #expect(
            try SMTPCommandParser.parse("auth plain dGVzdA==", utf8Recipients: false).get()
                == .auth(mechanism: "PLAIN", initialResponse: "dGVzdA=="))
        #expect(
            try SMTPCommandParser.parse("AUTH LOGIN", utf8Recipients: false).get()
                == .auth(mechanism: "LOGIN", initialResponse: nil))
        #expect(throws: SMTPCommandError.self) { try SMTPCommandParser.parse("AUTH", utf8Recipients: false).get() }
        #expect(throws: SMTPCommandError.self) { try SMTPCommandParser.parse("AUTH PLAIN a b", utf8Recipients: false).get() }
    }

    @Test("MAIL FROM accepts and ignores the AUTH= parameter (RFC 4954 § 5)")
    func mailAuthParameter() throws {
        let command = try SMTPCommandParser.parse("MAIL FROM:<bob@remote.test> AUTH=<>", utf8Recipients: false).get()
        guard case .mail(let path, _) = command else { Issue.record("not MAIL"); return }
        #expect(path.description == "<bob@remote.test>")
    }
}

@Suite("Relay tricks from an authenticated client")
struct AuthenticatedRelayTrickTests {
    /// Each trick, and where an authenticated client's mail may go: `remote`
    /// only when the address really names a remote domain.
    @Test(
        "Only addresses that really name a remote domain are relayed",
        arguments: [
            ("bob@remote.test", "relay remote.test"),
            ("BOB@REMOTE.TEST", "relay remote.test"),
            ("@example.test:bob@remote.test", "relay remote.test"),  // source route: ignored, the mailbox counts
            ("bob%remote.test@example.test", "refused 550"),  // a local part, looked up locally
            ("remote.test!bob@example.test", "refused 550"),
            ("\"bob@remote.test\"@example.test", "refused 550"),
            ("bob@remote.test@example.test", "refused 501"),
            ("bob@[192.0.2.1]", "refused 554"),  // literals are never relayed
            ("bob@remote.test.", "refused 501"),
            ("remote.test!bob", "refused 501"),
        ])
    func trick(_ address: String, _ expected: String) {
        var harness = SessionAuthTests.secured(submission: false)
        harness.send(crlf("AUTH PLAIN \(SessionAuthTests.base64("\0alice@example.test\0s3cret"))"))
        harness.send(crlf("MAIL FROM:<alice@example.test>", "RCPT TO:<\(address)>"))
        let reply = harness.lastReply
        if expected.hasPrefix("relay ") {
            #expect(reply?.code == 250, "\(address): \(String(describing: reply))")
            guard case .accept(.relay(let domain, let permission)) = harness.checks.last?.decision.verdict else {
                Issue.record("\(address) was not accepted for relay")
                return
            }
            #expect(domain == String(expected.dropFirst(6)))
            #expect(permission == .authenticated("alice@example.test"))
        } else {
            #expect(reply?.code == Int(expected.suffix(3)), "\(address): \(String(describing: reply))")
            if case .accept = harness.checks.last?.decision.verdict, reply?.code != 501 {
                Issue.record("\(address) must not be accepted")
            }
        }
    }
}
