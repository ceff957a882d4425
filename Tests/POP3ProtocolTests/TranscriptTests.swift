import POP3Protocol
import Testing

@Suite("POP3Session: a whole session, byte for byte")
struct TranscriptTests {
    /// RFC 1939 § 10, adapted: STLS and USER/PASS instead of APOP, and the
    /// messages written out. "S:" lines are what the server must send, in
    /// order; "C:" lines are fed to the session one at a time.
    static let script = """
        S: +OK pop.example.test POP3 server ready
        C: CAPA
        S: +OK Capability list follows
        S: TOP
        S: UIDL
        S: RESP-CODES
        S: AUTH-RESP-CODE
        S: PIPELINING
        S: STLS
        S: EXPIRE NEVER
        S: LOGIN-DELAY 0
        S: IMPLEMENTATION SIMS
        S: .
        C: STLS
        S: +OK Begin TLS negotiation
        C: USER mrose
        S: +OK Send PASS
        C: PASS tanstaaf
        S: +OK mrose's maildrop has 2 messages (60 octets)
        C: STAT
        S: +OK 2 60
        C: LIST
        S: +OK 2 messages (60 octets)
        S: 1 23
        S: 2 37
        S: .
        C: UIDL
        S: +OK
        S: 1 whqtswO00WBw418f9t5JxYwZ
        S: 2 QhdPYR:00WBw1Ph7x7
        S: .
        C: RETR 1
        S: +OK 23 octets
        S: Subject: one
        S: 
        S: Hello
        S: .
        C: DELE 1
        S: +OK message 1 deleted
        C: TOP 2 1
        S: +OK Top of message follows
        S: Subject: two
        S: 
        S: ..dots
        S: .
        C: RETR 2
        S: +OK 37 octets
        S: Subject: two
        S: 
        S: ..dots
        S: more
        S: ..
        S: end
        S: .
        C: DELE 2
        S: +OK message 2 deleted
        C: QUIT
        S: +OK pop.example.test POP3 server signing off (maildrop empty)
        """

    @Test("RFC 1939 § 10 example, adapted")
    func rfc1939Example() {
        var harness = POP3Harness { $0.stlsAvailable = true }
        let one = "Subject: one\r\n\r\nHello\r\n"
        let two = "Subject: two\n\n.dots\nmore\n.\nend\n"
        harness.accounts = [
            "mrose": (
                "tanstaaf",
                Maildrop(messages: [
                    .init(uid: "whqtswO00WBw418f9t5JxYwZ", octets: POP3MessageWire.wireSize(of: Array(one.utf8))),
                    .init(uid: "QhdPYR:00WBw1Ph7x7", octets: POP3MessageWire.wireSize(of: Array(two.utf8))),
                ])
            )
        ]
        harness.bodies = ["whqtswO00WBw418f9t5JxYwZ": Array(one.utf8), "QhdPYR:00WBw1Ph7x7": Array(two.utf8)]

        var expected = ""
        for line in Self.script.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = line.dropFirst(3)
            if line.hasPrefix("C: ") {
                harness.command(String(text))
            } else {
                expected += text + "\r\n"
            }
        }
        #expect(harness.transcript == expected)
        #expect(harness.commits == [.commit(deleted: ["whqtswO00WBw418f9t5JxYwZ", "QhdPYR:00WBw1Ph7x7"], retrieved: [])])
        #expect(harness.closed)
    }
}
