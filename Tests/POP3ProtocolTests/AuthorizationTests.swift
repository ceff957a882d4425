import POP3Protocol
import Testing

@Suite("POP3Session: AUTHORIZATION state, USER/PASS, STLS, QUIT")
struct AuthorizationTests {
    @Test("The greeting names the host")
    func greeting() {
        let harness = POP3Harness()
        #expect(harness.transcript == "+OK pop.example.test POP3 server ready\r\n")
        #expect(!harness.session.isInTransaction)
    }

    @Test("USER, PASS and AUTH are refused in plaintext with [AUTH], and credentials are never checked")
    func plaintextRefused() {
        var harness = POP3Harness { $0.stlsAvailable = true }
        #expect(harness.command("USER alice@example.test") == "-ERR [AUTH] Plaintext authentication requires TLS\r\n")
        #expect(harness.command("PASS s3cret") == "-ERR [AUTH] Plaintext authentication requires TLS\r\n")
        let response = POP3Harness.base64("\0alice@example.test\0s3cret")
        #expect(harness.command("AUTH PLAIN \(response)") == "-ERR [AUTH] Plaintext authentication requires TLS\r\n")
        #expect(harness.command("AUTH PLAIN") == "-ERR [AUTH] Plaintext authentication requires TLS\r\n")
        #expect(!harness.session.isInSASLExchange)
        #expect(harness.credentialsChecked.isEmpty)
        #expect(harness.session.user == nil)
    }

    @Test("USER/PASS in plaintext when the configuration allows it")
    func plaintextAllowed() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        #expect(harness.command("USER alice@example.test") == "+OK Send PASS\r\n")
        #expect(harness.command("PASS s3cret") == "+OK alice@example.test's maildrop has 3 messages (99 octets)\r\n")
        #expect(harness.session.user == "alice@example.test")
        #expect(harness.session.isInTransaction)
        #expect(harness.credentialsChecked == ["alice@example.test"])
    }

    @Test("Commands are case-insensitive; PASS keeps spaces in the password")
    func caseInsensitive() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        harness.accounts["bob"] = ("pass with spaces", Maildrop(messages: []))
        harness.command("user bob")
        #expect(harness.command("pAsS pass with spaces") == "+OK bob's maildrop has 0 messages (0 octets)\r\n")
        #expect(harness.command("stat") == "+OK 0 0\r\n")
    }

    @Test("After STLS, USER/PASS work; STLS answers +OK and the handshake is started")
    func afterSTLS() {
        var harness = POP3Harness { $0.stlsAvailable = true }
        #expect(harness.command("STLS") == "+OK Begin TLS negotiation\r\n")
        #expect(harness.tlsHandshakes == 1)
        #expect(harness.session.tlsActive)
        harness.command("USER alice@example.test")
        #expect(harness.command("PASS s3cret").hasPrefix("+OK alice@example.test's maildrop"))
    }

    @Test("Plaintext pipelined after STLS is discarded by the driver, never answered")
    func stlsDiscardsReadAhead() {
        var harness = POP3Harness { $0.stlsAvailable = true }
        #expect(harness.send("STLS\r\nCAPA\r\n") == "+OK Begin TLS negotiation\r\n")
    }

    @Test("TLS makes the session forget a USER given in plaintext (RFC 2595 § 4)")
    func stlsForgetsUser() {
        var harness = POP3Harness {
            $0.stlsAvailable = true
            $0.plaintextAuthenticationAllowed = true
        }
        harness.command("USER alice@example.test")
        harness.command("STLS")
        #expect(harness.command("PASS s3cret") == "-ERR Send USER first\r\n")
        #expect(harness.credentialsChecked.isEmpty)
    }

    @Test("STLS is refused inside TLS, when not available, and in TRANSACTION")
    func stlsRefusals() {
        var harness = POP3Harness { $0.stlsAvailable = true }
        harness.command("STLS")
        #expect(harness.command("STLS") == "-ERR Command not permitted when TLS active\r\n")
        #expect(harness.tlsHandshakes == 1)

        var noCertificate = POP3Harness()
        #expect(noCertificate.command("STLS") == "-ERR STLS not available\r\n")
        #expect(noCertificate.tlsHandshakes == 0)

        var loggedIn = POP3Harness.loggedIn { $0.stlsAvailable = true }
        #expect(loggedIn.command("STLS") == "-ERR Command not valid in TRANSACTION state\r\n")
        #expect(loggedIn.tlsHandshakes == 0)
    }

    @Test("PASS without USER is refused and nothing is checked")
    func passWithoutUser() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        #expect(harness.command("PASS s3cret") == "-ERR Send USER first\r\n")
        harness.command("USER alice@example.test")
        harness.command("PASS wrong")
        #expect(harness.command("PASS s3cret") == "-ERR Send USER first\r\n", "a PASS consumes the USER")
        #expect(harness.credentialsChecked == ["alice@example.test"])
    }

    @Test("Unknown user and wrong password get the same response")
    func sameFailureText() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        harness.command("USER nobody@example.test")
        let unknown = harness.command("PASS s3cret")
        harness.command("USER alice@example.test")
        let wrong = harness.command("PASS wrong")
        #expect(unknown == "-ERR [AUTH] Authentication failed\r\n")
        #expect(wrong == unknown)
        #expect(!harness.closed)
        #expect(harness.session.user == nil)
    }

    @Test("The third failed login closes the session", arguments: [1, 3])
    func failureLimit(limit: Int) {
        var harness = POP3Harness {
            $0.plaintextAuthenticationAllowed = true
            $0.maximumAuthenticationFailures = limit
        }
        for _ in 1..<limit {
            harness.send("USER alice@example.test\r\nPASS wrong\r\n")
            #expect(harness.last.hasSuffix("-ERR [AUTH] Authentication failed\r\n"))
        }
        harness.send("USER alice@example.test\r\nPASS wrong\r\n")
        #expect(harness.last.hasSuffix("-ERR [AUTH] Too many authentication failures, closing connection\r\n"))
        #expect(harness.closed)
        #expect(harness.session.isClosed)
        #expect(harness.credentialsChecked.count == limit)
    }

    @Test("[IN-USE] when the maildrop is locked; the client may try again")
    func inUse() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        harness.outcome = .inUse
        harness.command("USER alice@example.test")
        #expect(harness.command("PASS s3cret") == "-ERR [IN-USE] Mailbox in use\r\n")
        #expect(!harness.session.isInTransaction)
        harness.outcome = nil
        harness.command("USER alice@example.test")
        #expect(harness.command("PASS s3cret").hasPrefix("+OK"))
    }

    @Test("[SYS/TEMP] when credentials could not be checked")
    func temporaryFailure() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        harness.outcome = .temporaryFailure
        harness.command("USER alice@example.test")
        #expect(harness.command("PASS s3cret") == "-ERR [SYS/TEMP] Temporary failure, try again later\r\n")
        #expect(!harness.session.isInTransaction)
        #expect(!harness.closed)
    }

    @Test("QUIT in AUTHORIZATION signs off without an UPDATE")
    func quitInAuthorization() {
        var harness = POP3Harness()
        #expect(harness.command("QUIT") == "+OK pop.example.test POP3 server signing off\r\n")
        #expect(harness.closed)
        #expect(harness.commits.isEmpty)
        #expect(harness.session.isClosed)
    }

    @Test(
        "TRANSACTION commands before login are refused",
        arguments: ["STAT", "LIST", "LIST 1", "UIDL", "UIDL 1", "RETR 1", "TOP 1 0", "DELE 1", "NOOP", "RSET"])
    func transactionCommandsBeforeLogin(line: String) {
        var harness = POP3Harness()
        #expect(harness.command(line) == "-ERR Command not valid in AUTHORIZATION state; log in first\r\n")
        #expect(harness.sentMessages.isEmpty)
    }

    @Test("Unknown commands, APOP and a wrong number of arguments are refused")
    func unknownAndMalformed() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        #expect(harness.command("HELO x") == "-ERR Unknown command\r\n")
        #expect(harness.command("APOP alice c4c9334bac560ecc979e58001b3e22fb") == "-ERR APOP not supported\r\n")
        #expect(harness.command("USER") == "-ERR Wrong number of arguments\r\n")
        #expect(harness.command("USER a b") == "-ERR Wrong number of arguments\r\n")
        #expect(harness.command("CAPA x") == "-ERR Wrong number of arguments\r\n")
        #expect(harness.command("") == "-ERR Unknown command\r\n")
        #expect(!harness.closed)
    }

    @Test("A line fed while credentials are being checked is a protocol violation")
    func lineWhileChecking() {
        var session = POP3Session(configuration: {
            var configuration = POP3SessionConfiguration(hostname: "h")
            configuration.plaintextAuthenticationAllowed = true
            return configuration
        }())
        _ = session.greet()
        _ = session.receive("USER a", cleanEnding: true)
        #expect(session.receive("PASS b", cleanEnding: true) == .authenticate(username: "a", password: "b"))
        #expect(session.receive("STAT", cleanEnding: true) == .replyAndClose("-ERR Protocol violation\r\n"))
        #expect(session.isClosed)
    }

    @Test("A line before the greeting is a protocol violation")
    func lineBeforeGreeting() {
        var session = POP3Session(configuration: POP3SessionConfiguration(hostname: "h"))
        #expect(session.receive("CAPA", cleanEnding: true) == .replyAndClose("-ERR Protocol violation\r\n"))
    }
}
