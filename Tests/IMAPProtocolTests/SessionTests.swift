import IMAPProtocol
import Testing

/// The session fed through the real framer, line by line, as a driver does.
struct Client {
    var session: IMAPSession
    var framer = IMAPCommandFramer()

    init(plaintextAllowed: Bool = false, implicitTLS: Bool = false, startTLSAvailable: Bool = true) {
        var configuration = IMAPSessionConfiguration(hostname: "mx.example.test")
        configuration.plaintextAllowed = plaintextAllowed
        configuration.startTLSAvailable = startTLSAvailable
        session = IMAPSession(configuration: configuration, implicitTLS: implicitTLS)
    }

    mutating func send(_ text: String) -> [IMAPSessionAction] {
        framer.feed(Array(text.utf8)).map { session.receive($0) }
    }

    mutating func reply(_ text: String) -> String {
        send(text).compactMap { action -> String? in
            switch action {
            case .send(let text), .sendAndClose(let text), .startTLS(let text): return text
            case .none, .authenticate, .mailbox, .endIdle: return nil
            }
        }.joined()
    }
}

@Suite("IMAP session: before login")
struct SessionTests {
    @Test("the greeting and CAPABILITY say LOGINDISABLED and STARTTLS before TLS, AUTH=PLAIN after it")
    func capabilitiesFollowTLS() {
        var client = Client()
        guard case .send(let greeting) = client.session.greet() else { Issue.record("no greeting"); return }
        #expect(greeting.hasPrefix("* OK [CAPABILITY IMAP4rev2 IMAP4rev1 "))
        #expect(greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED") && !greeting.contains("AUTH=PLAIN"))
        #expect(client.send("a STARTTLS\r\n") == [.startTLS("a OK Begin TLS negotiation now\r\n")])
        client.session.tlsEstablished()
        let capability = client.reply("b CAPABILITY\r\n")
        #expect(capability.contains("AUTH=PLAIN") && !capability.contains("LOGINDISABLED") && !capability.contains("STARTTLS"))
        #expect(capability.hasSuffix("b OK CAPABILITY completed\r\n"))
        #expect(client.reply("c STARTTLS\r\n") == "c BAD TLS is already active\r\n")
    }

    @Test("LOGIN without TLS is refused with PRIVACYREQUIRED and no credential check")
    func loginNeedsTLS() {
        var client = Client()
        #expect(client.send("a LOGIN alice secret\r\n") == [.send("a NO [PRIVACYREQUIRED] LOGIN only after STARTTLS\r\n")])
        #expect(
            client.send("b AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n") == [
                .send("b NO [PRIVACYREQUIRED] AUTHENTICATE only after STARTTLS\r\n")
            ])
    }

    @Test("LOGIN inside TLS, with a literal password: checked, then the authenticated capabilities")
    func loginWithLiteral() {
        var client = Client(implicitTLS: true)
        #expect(client.send("a1 LOGIN alice@example.test {6}\r\n") == [.send("+ Ready for literal data\r\n")])
        #expect(client.send("s cret\r\n") == [.authenticate(username: "alice@example.test", password: "s cret")])
        let reply = client.session.authenticationFinished(.success(user: "alice@example.test"))
        guard case .send(let text) = reply else { Issue.record("\(reply)"); return }
        #expect(text.hasPrefix("a1 OK [CAPABILITY IMAP4rev2") && text.hasSuffix("] Logged in\r\n"))
        #expect(!text.contains("AUTH=PLAIN"))
        #expect(client.session.user == "alice@example.test")
        #expect(client.reply("a2 LOGIN bob x\r\n") == "a2 BAD Already logged in\r\n")
    }

    @Test("a wrong password is NO [AUTHENTICATIONFAILED]; the directory down is NO [UNAVAILABLE]")
    func failures() {
        var client = Client(implicitTLS: true)
        _ = client.send("a LOGIN alice wrong\r\n")
        #expect(client.session.authenticationFinished(.failure) == .send("a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"))
        _ = client.send("b LOGIN alice right\r\n")
        #expect(
            client.session.authenticationFinished(.temporaryFailure)
                == .send("b NO [UNAVAILABLE] Temporary failure, try again later\r\n"))
        #expect(client.session.user == nil)
    }

    @Test("AUTHENTICATE PLAIN with an initial response, and with a continuation; * cancels")
    func authenticatePlain() {
        var client = Client(implicitTLS: true)
        // "\0alice\0secret"
        #expect(
            client.send("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n") == [.authenticate(username: "alice", password: "secret")]
        )
        _ = client.session.authenticationFinished(.failure)
        #expect(client.send("b AUTHENTICATE plain\r\n") == [.send("+ \r\n")])
        #expect(client.send("AGFsaWNlAHNlY3JldA==\r\n") == [.authenticate(username: "alice", password: "secret")])
        _ = client.session.authenticationFinished(.failure)
        #expect(client.send("c AUTHENTICATE PLAIN\r\n") == [.send("+ \r\n")])
        #expect(client.reply("*\r\n") == "c BAD AUTHENTICATE cancelled\r\n")
        #expect(client.reply("d AUTHENTICATE PLAIN bm90IHBsYWlu\r\n") == "d BAD Invalid SASL PLAIN response\r\n")
        #expect(client.reply("e AUTHENTICATE CRAM-MD5\r\n") == "e NO [CANNOT] Only AUTHENTICATE PLAIN is supported\r\n")
        // Acting as another user is refused before any check.
        // "bob\0alice\0secret"
        #expect(
            client.reply("f AUTHENTICATE PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\n")
                == "f NO [AUTHORIZATIONFAILED] Cannot act as another user\r\n")
    }

    @Test("LOGOUT says BYE and closes; NOOP and ID answer; unknown commands are BAD until too many")
    func logoutAndErrors() {
        var client = Client()
        #expect(client.reply("a NOOP\r\n") == "a OK NOOP completed\r\n")
        #expect(client.reply("b ID (\"name\" \"neomutt\")\r\n") == "* ID (\"name\" \"SIMS\")\r\nb OK ID completed\r\n")
        #expect(client.reply("c SELECT INBOX\r\n").hasPrefix("c BAD Log in first"))
        var actions: [IMAPSessionAction] = []
        for n in 0..<20 { actions += client.send("x\(n) FROB\r\n") }
        guard
            case .sendAndClose(let last)? = actions.first(where: {
                if case .sendAndClose = $0 { return true } else { return false }
            })
        else {
            Issue.record("never closed: \(actions.suffix(2))")
            return
        }
        #expect(last.hasSuffix("* BYE Too many errors\r\n"))
        var other = Client()
        #expect(other.send("z LOGOUT\r\n") == [.sendAndClose("* BYE mx.example.test logging out\r\nz OK LOGOUT completed\r\n")])
    }

    @Test("a synchronizing literal over the limit is NO [TOOBIG]; a non-synchronizing one closes")
    func tooBig() {
        var client = Client(implicitTLS: true)
        client.framer = IMAPCommandFramer(
            limits: {
                var l = IMAPCommandFramer.Limits(); l.maximumLiteralSize = 10; return l
            }())
        #expect(client.send("a LOGIN {11}\r\n") == [.send("a NO [TOOBIG] Literal too large\r\n")])
        #expect(
            client.send("b LOGIN {11+}\r\n") == [.sendAndClose("b NO [TOOBIG] Literal too large\r\n* BYE Literal too large\r\n")])
    }

    @Test("STARTTLS is NO [UNAVAILABLE] without a certificate, and not announced")
    func noCertificate() {
        var client = Client(startTLSAvailable: false)
        #expect(!client.session.capabilities.contains("STARTTLS"))
        #expect(client.reply("a STARTTLS\r\n") == "a NO [UNAVAILABLE] TLS is not available\r\n")
    }
}
