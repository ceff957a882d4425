import POP3Protocol
import Testing

@Suite("POP3Session: TRANSACTION state and UPDATE")
struct TransactionTests {
    // alice's maildrop: u1 23 octets, u2 43 octets, u3 33 octets.

    @Test("STAT, LIST, LIST n, UIDL, UIDL n, NOOP")
    func listings() {
        var harness = POP3Harness.loggedIn()
        #expect(harness.command("STAT") == "+OK 3 99\r\n")
        #expect(harness.command("LIST") == "+OK 3 messages (99 octets)\r\n1 23\r\n2 43\r\n3 33\r\n.\r\n")
        #expect(harness.command("LIST 2") == "+OK 2 43\r\n")
        #expect(harness.command("UIDL") == "+OK\r\n1 u1\r\n2 u2\r\n3 u3\r\n.\r\n")
        #expect(harness.command("UIDL 3") == "+OK 3 u3\r\n")
        #expect(harness.command("NOOP") == "+OK\r\n")
    }

    @Test("RETR and TOP ask the driver for the message")
    func retrAndTop() {
        var harness = POP3Harness.loggedIn()
        #expect(harness.command("RETR 1") == "+OK 23 octets\r\nSubject: one\r\n\r\nHello\r\n.\r\n")
        #expect(harness.command("TOP 3 1") == "+OK Top of message follows\r\nSubject: three\r\nX: y\r\n\r\nA\r\n.\r\n")
        #expect(
            harness.sentMessages == [.sendMessage(uid: "u1", topLines: nil), .sendMessage(uid: "u3", topLines: 1)])
    }

    @Test("DELE hides the message from STAT, LIST and UIDL, and from RETR/TOP/DELE/LIST n")
    func deleteHides() {
        var harness = POP3Harness.loggedIn()
        #expect(harness.command("DELE 2") == "+OK message 2 deleted\r\n")
        #expect(harness.command("STAT") == "+OK 2 56\r\n")
        #expect(harness.command("LIST") == "+OK 2 messages (56 octets)\r\n1 23\r\n3 33\r\n.\r\n")
        #expect(harness.command("UIDL") == "+OK\r\n1 u1\r\n3 u3\r\n.\r\n")
        for line in ["RETR 2", "TOP 2 0", "DELE 2", "LIST 2", "UIDL 2"] {
            #expect(harness.command(line) == "-ERR message 2 already deleted\r\n", "\(line)")
        }
        #expect(harness.sentMessages.isEmpty)
        #expect(harness.command("LIST 3") == "+OK 3 33\r\n", "numbers do not shift")
    }

    @Test("RSET undeletes everything")
    func rset() {
        var harness = POP3Harness.loggedIn()
        harness.command("DELE 1")
        harness.command("DELE 3")
        #expect(harness.command("RSET") == "+OK maildrop has 3 messages (99 octets)\r\n")
        #expect(harness.command("STAT") == "+OK 3 99\r\n")
        #expect(harness.command("RETR 3").hasPrefix("+OK 33 octets\r\n"))
    }

    @Test(
        "Invalid message numbers are refused",
        arguments: [
            ("RETR 0", "-ERR Invalid message number\r\n"),
            ("RETR -1", "-ERR Invalid message number\r\n"),
            ("RETR +1", "-ERR Invalid message number\r\n"),
            ("RETR abc", "-ERR Invalid message number\r\n"),
            ("RETR 1x", "-ERR Invalid message number\r\n"),
            ("RETR 4", "-ERR no such message, only 3 messages in maildrop\r\n"),
            ("DELE 99999999999999999999999999", "-ERR no such message, only 3 messages in maildrop\r\n"),
            ("LIST 0", "-ERR Invalid message number\r\n"),
            ("UIDL 4", "-ERR no such message, only 3 messages in maildrop\r\n"),
            ("TOP 4 1", "-ERR no such message, only 3 messages in maildrop\r\n"),
            ("TOP 1 -1", "-ERR Invalid number of lines\r\n"),
            ("TOP 1", "-ERR Wrong number of arguments\r\n"),
            ("RETR", "-ERR Wrong number of arguments\r\n"),
            ("RETR 1 2", "-ERR Wrong number of arguments\r\n"),
            ("DELE", "-ERR Wrong number of arguments\r\n"),
            ("STAT 1", "-ERR Wrong number of arguments\r\n"),
            ("LIST 1 2", "-ERR Wrong number of arguments\r\n"),
            ("NOOP x", "-ERR Wrong number of arguments\r\n"),
            ("XYZZY", "-ERR Unknown command\r\n"),
        ])
    func invalidArguments(line: String, response: String) {
        var harness = POP3Harness.loggedIn()
        #expect(harness.command(line) == response)
        #expect(harness.sentMessages.isEmpty)
        #expect(harness.command("STAT") == "+OK 3 99\r\n", "nothing changed")
    }

    @Test("QUIT commits exactly the deleted and the retrieved uids, then signs off")
    func quitCommits() {
        var harness = POP3Harness.loggedIn()
        harness.command("RETR 3")
        harness.command("RETR 1")
        harness.command("RETR 2")
        harness.command("TOP 2 0")
        harness.command("DELE 2")
        #expect(harness.command("QUIT") == "+OK pop.example.test POP3 server signing off (2 messages left)\r\n")
        #expect(harness.commits == [.commit(deleted: ["u2"], retrieved: ["u1", "u3"])])
        #expect(harness.closed)
        #expect(harness.session.isClosed)
    }

    @Test("TOP alone does not count as retrieval; RSET does not undo RETR")
    func topNotRetrieval() {
        var harness = POP3Harness.loggedIn()
        harness.command("TOP 1 5")
        harness.command("RETR 2")
        harness.command("DELE 3")
        harness.command("RSET")
        harness.command("DELE 1")
        harness.command("QUIT")
        #expect(harness.commits == [.commit(deleted: ["u1"], retrieved: ["u2"])])
    }

    @Test("QUIT with every message deleted: maildrop empty")
    func quitEmpty() {
        var harness = POP3Harness.loggedIn()
        harness.send("DELE 1\r\nDELE 2\r\nDELE 3\r\n")
        #expect(harness.command("QUIT") == "+OK pop.example.test POP3 server signing off (maildrop empty)\r\n")
        #expect(harness.commits == [.commit(deleted: ["u1", "u2", "u3"], retrieved: [])])
    }

    @Test("A failed update answers -ERR [SYS/TEMP] and closes")
    func commitFails() {
        var harness = POP3Harness.loggedIn()
        harness.commitSucceeds = false
        harness.command("DELE 1")
        #expect(harness.command("QUIT") == "-ERR [SYS/TEMP] Some deleted messages not removed\r\n")
        #expect(harness.closed)
    }

    @Test("Commands after QUIT get nothing")
    func afterQuit() {
        var session = POP3Session(configuration: {
            var configuration = POP3SessionConfiguration(hostname: "h")
            configuration.plaintextAuthenticationAllowed = true
            return configuration
        }())
        _ = session.greet()
        _ = session.receive("USER a", cleanEnding: true)
        _ = session.receive("PASS b", cleanEnding: true)
        _ = session.authenticationFinished(.success(user: "a", maildrop: Maildrop(messages: [.init(uid: "x", octets: 3)])))
        #expect(session.receive("DELE 1", cleanEnding: true) == .reply("+OK message 1 deleted\r\n"))
        #expect(session.receive("QUIT", cleanEnding: true) == .commit(deleted: ["x"], retrieved: []))
        #expect(session.receive("RSET", cleanEnding: true) == .replyAndClose("-ERR Protocol violation\r\n"),
            "a line before the commit finished")
        #expect(session.receive("STAT", cleanEnding: true) == .none)
        #expect(session.isClosed)
    }

    @Test("A dropped connection commits nothing: no QUIT, no commit action")
    func droppedConnection() {
        var harness = POP3Harness.loggedIn()
        harness.command("DELE 1")
        harness.command("RETR 2")
        #expect(harness.commits.isEmpty)
        #expect(!harness.session.isClosed)
    }

    @Test("Invalid uids are shown escaped and stable; the driver still gets the stored uid")
    func uidEscaping() {
        let long = String(repeating: "a", count: 71)
        let spaced = "has space"
        var harness = POP3Harness { $0.plaintextAuthenticationAllowed = true }
        harness.accounts["carol"] = ("pw", Maildrop(messages: [.init(uid: long, octets: 1), .init(uid: spaced, octets: 1), .init(uid: "ok", octets: 1)]))
        harness.bodies[spaced] = Array("x".utf8)
        harness.send("USER carol\r\nPASS pw\r\n")
        let listing = harness.command("UIDL")
        let uids = listing.split(separator: "\r\n").dropFirst().dropLast().map { $0.split(separator: " ")[1] }
        #expect(uids.count == 3)
        #expect(uids.allSatisfy { Maildrop.isValidUID(String($0)) })
        #expect(uids[2] == "ok")
        #expect(Set(uids).count == 3)
        #expect(String(uids[0]) == Maildrop.wireUID(long))
        #expect(Maildrop.wireUID(long) == Maildrop.wireUID(String(repeating: "a", count: 71)))
        harness.command("RETR 2")
        #expect(harness.sentMessages == [.sendMessage(uid: spaced, topLines: nil)])
    }

    @Test("UID validity follows RFC 1939: 1 to 70 octets in 0x21...0x7E")
    func uidValidity() {
        #expect(Maildrop.isValidUID("1234.M5P6.host"))
        #expect(Maildrop.isValidUID(String(repeating: "~", count: 70)))
        #expect(!Maildrop.isValidUID(String(repeating: "a", count: 71)))
        #expect(!Maildrop.isValidUID(""))
        #expect(!Maildrop.isValidUID("a b"))
        #expect(!Maildrop.isValidUID("é"))
        #expect(!Maildrop.isValidUID("a\u{7F}"))
    }

    @Test("A message that cannot be read is not counted as retrieved")
    func sendFailed() {
        var session = POP3Harness.loggedIn().session
        #expect(session.receive("RETR 1", cleanEnding: true) == .sendMessage(uid: "u1", topLines: nil))
        #expect(session.sendMessageFailed(uid: "u1") == .reply("-ERR [SYS/TEMP] Message could not be read\r\n"))
        #expect(session.receive("QUIT", cleanEnding: true) == .commit(deleted: [], retrieved: []))
    }
}
