import POP3Protocol
import Testing

@Suite("POP3Session: AUTH PLAIN (RFC 5034) and logging safety")
struct SASLTests {
    static func secured() -> POP3Harness {
        var harness = POP3Harness { $0.stlsAvailable = true }
        harness.command("STLS")
        return harness
    }

    static let alice = POP3Harness.base64("\0alice@example.test\0s3cret")

    @Test("AUTH PLAIN with an initial response")
    func initialResponse() {
        var harness = Self.secured()
        #expect(harness.command("AUTH PLAIN \(Self.alice)") == "+OK alice@example.test's maildrop has 3 messages (99 octets)\r\n")
        #expect(harness.session.user == "alice@example.test")
    }

    @Test("AUTH PLAIN without initial response: '+ ' continuation, then the response")
    func continuation() {
        var harness = Self.secured()
        #expect(harness.command("auth plain") == "+ \r\n")
        #expect(harness.session.isInSASLExchange)
        #expect(harness.command(Self.alice).hasPrefix("+OK alice@example.test's maildrop"))
        #expect(!harness.session.isInSASLExchange)
        #expect(harness.session.isInTransaction)
    }

    @Test("'*' cancels the exchange with -ERR (RFC 5034 § 4)")
    func cancel() {
        var harness = Self.secured()
        harness.command("AUTH PLAIN")
        #expect(harness.command("*") == "-ERR Authentication cancelled\r\n")
        #expect(!harness.session.isInSASLExchange)
        #expect(harness.credentialsChecked.isEmpty)
        #expect(harness.command("CAPA").hasPrefix("+OK Capability list follows"), "back to commands")
    }

    @Test("A response that is not base64, or not a PLAIN triple, is refused", arguments: ["!!!notbase64", "=", POP3Harness.base64("alice\0s3cret")])
    func malformed(response: String) {
        var harness = Self.secured()
        harness.command("AUTH PLAIN")
        #expect(harness.command(response).hasPrefix("-ERR "))
        #expect(harness.credentialsChecked.isEmpty)
        #expect(!harness.session.isInSASLExchange)
        #expect(!harness.session.isInTransaction)
    }

    @Test("An authzid other than the user is refused; the same one is accepted")
    func authzid() {
        var harness = Self.secured()
        let other = POP3Harness.base64("bob@example.test\0alice@example.test\0s3cret")
        #expect(harness.command("AUTH PLAIN \(other)") == "-ERR [AUTH] Authentication failed\r\n")
        #expect(harness.credentialsChecked.isEmpty)
        let same = POP3Harness.base64("alice@example.test\0alice@example.test\0s3cret")
        #expect(harness.command("AUTH PLAIN \(same)").hasPrefix("+OK"))
    }

    @Test("Wrong password over AUTH: [AUTH] failure, counted toward the limit")
    func wrongPassword() {
        var harness = Self.secured()
        let wrong = POP3Harness.base64("\0alice@example.test\0nope")
        #expect(harness.command("AUTH PLAIN \(wrong)") == "-ERR [AUTH] Authentication failed\r\n")
        harness.command("AUTH PLAIN \(wrong)")
        #expect(harness.command("AUTH PLAIN \(wrong)") == "-ERR [AUTH] Too many authentication failures, closing connection\r\n")
        #expect(harness.closed)
    }

    @Test("Unknown mechanisms and a bare AUTH are refused")
    func unknownMechanism() {
        var harness = Self.secured()
        #expect(harness.command("AUTH CRAM-MD5") == "-ERR Unrecognized authentication type\r\n")
        #expect(harness.command("AUTH") == "-ERR Wrong number of arguments\r\n")
        #expect(!harness.session.isInSASLExchange)
    }

    @Test("AUTH in TRANSACTION is refused")
    func authInTransaction() {
        var harness = POP3Harness.loggedIn()
        #expect(harness.command("AUTH PLAIN \(Self.alice)") == "-ERR Command not valid in TRANSACTION state\r\n")
        #expect(harness.command("USER x") == "-ERR Command not valid in TRANSACTION state\r\n")
        #expect(harness.command("PASS x") == "-ERR Command not valid in TRANSACTION state\r\n")
    }

    @Test("Lines holding secrets are masked for logging")
    func masking() {
        var harness = Self.secured()
        let session = harness.session
        #expect(session.maskedForLogging("PASS s3cret") == "PASS ***")
        #expect(session.maskedForLogging("pass two words") == "pass ***")
        #expect(session.maskedForLogging("AUTH PLAIN \(Self.alice)") == "AUTH PLAIN ***")
        #expect(session.maskedForLogging("AUTH PLAIN") == "AUTH PLAIN")
        #expect(session.maskedForLogging("USER alice") == "USER alice")
        #expect(session.lineHoldsSecret("PASS s3cret"))
        #expect(!session.lineHoldsSecret("USER alice"))
        #expect(!session.lineHoldsSecret("RETR 1"))
        harness.command("AUTH PLAIN")
        #expect(harness.session.lineHoldsSecret(Self.alice))
        #expect(harness.session.maskedForLogging(Self.alice) == "***")
    }
}
