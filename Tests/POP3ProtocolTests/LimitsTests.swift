import POP3Protocol
import Testing

@Suite("POP3Session: line limits, bare line ends, pipelining, error limits")
struct LimitsTests {
    @Test("A 300-octet command is refused and the session goes on")
    func longCommand() {
        var harness = POP3Harness.loggedIn()
        let line = "LIST " + String(repeating: "1", count: 293)  // 298 + CRLF = 300 octets
        #expect(harness.command(line) == "-ERR Command line too long\r\n")
        #expect(harness.command("NOOP") == "+OK\r\n")

        var session = POP3Harness.loggedIn().session
        #expect(session.receive(line, cleanEnding: true) == .reply("-ERR Command line too long\r\n"))
    }

    @Test("A 255-octet command is accepted, 256 is not (RFC 2449 § 4)")
    func boundary() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        let name255 = String(repeating: "n", count: 255 - 2 - 5)
        #expect(harness.command("USER " + name255) == "+OK Send PASS\r\n")
        #expect(harness.command("USER " + name255 + "n") == "-ERR Command line too long\r\n")
    }

    @Test("A line far beyond the framer's limit is dropped as it arrives and answered once, as the driver does")
    func overlongThroughFramer() {
        var harness = POP3Harness.loggedIn()
        harness.send("NOOP " + String(repeating: "x", count: 3000))
        #expect(harness.last.isEmpty)
        harness.send(String(repeating: "x", count: 3000))
        #expect(harness.send("\r\nSTAT\r\n") == "-ERR Line too long\r\n+OK 3 99\r\n")
    }

    @Test("Bare LF and stray CR in commands are refused")
    func bareLineEnds() {
        var harness = POP3Harness.loggedIn()
        #expect(harness.send("STAT\n") == "-ERR Bare CR or LF in command; lines must end with CRLF\r\n")
        #expect(harness.send("ST\rAT\r\n") == "-ERR Bare CR or LF in command; lines must end with CRLF\r\n")
        var session = POP3Harness.loggedIn().session
        #expect(session.receive("STAT", cleanEnding: false) == .reply("-ERR Bare CR or LF in command; lines must end with CRLF\r\n"))
        #expect(session.receive("STAT", cleanEnding: true) == .reply("+OK 3 99\r\n"))
    }

    @Test("A SASL response with a bare LF is refused")
    func bareLFInSASL() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        harness.command("AUTH PLAIN")
        #expect(harness.send(POP3Harness.base64("\0alice@example.test\0s3cret") + "\n") == "-ERR Cannot decode response\r\n")
        #expect(harness.credentialsChecked.isEmpty)
    }

    @Test("Pipelined commands in one chunk are answered in order")
    func pipelining() {
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        let output = harness.send("USER alice@example.test\r\nPASS s3cret\r\nSTAT\r\nLIST 2\r\nDELE 1\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n")
        #expect(
            output
                == "+OK Send PASS\r\n"
                + "+OK alice@example.test's maildrop has 3 messages (99 octets)\r\n"
                + "+OK 3 99\r\n"
                + "+OK 2 43\r\n"
                + "+OK message 1 deleted\r\n"
                + "+OK 2 76\r\n"
                + "-ERR message 1 already deleted\r\n"
                + "+OK pop.example.test POP3 server signing off (2 messages left)\r\n")
        #expect(harness.commits == [.commit(deleted: ["u1"], retrieved: [])])
    }

    @Test("Lines split across chunks are reassembled")
    func splitLines() {
        var harness = POP3Harness.loggedIn()
        #expect(harness.send("ST").isEmpty)
        #expect(harness.send("AT\r") .isEmpty)
        #expect(harness.send("\nNO") == "+OK 3 99\r\n")
        #expect(harness.send("OP\r\n") == "+OK\r\n")
    }

    @Test("Too many failed commands close the session")
    func errorLimit() {
        var harness = POP3Harness { $0.maximumErrors = 3 }
        #expect(harness.command("BOGUS") == "-ERR Unknown command\r\n")
        #expect(harness.command("STAT") == "-ERR Command not valid in AUTHORIZATION state; log in first\r\n")
        #expect(harness.command("BOGUS") == "-ERR Too many errors, closing connection\r\n")
        #expect(harness.closed)
    }
}
