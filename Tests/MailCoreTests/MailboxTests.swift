import MailCore
import Testing

@Suite("Mailbox and EnvelopePath formatting")
struct MailboxTests {
    @Test("Plain local parts are written as they are")
    func plain() {
        #expect(Mailbox(localPart: "alice", domain: .name("example.test")).description == "alice@example.test")
        #expect(Mailbox(localPart: "a.b+tag", domain: .addressLiteral("192.0.2.1")).description == "a.b+tag@[192.0.2.1]")
    }

    @Test("Local parts that need it are quoted, with '\"' and '\\' escaped", arguments: [
        ("john doe", #""john doe"@example.test"#),
        (#"a"b"#, #""a\"b"@example.test"#),
        (#"a\b"#, #""a\\b"@example.test"#),
        (".a", #"".a"@example.test"#),
        ("a.", #""a."@example.test"#),
        ("a..b", #""a..b"@example.test"#),
        ("user@remote", #""user@remote"@example.test"#),
        ("", #"""@example.test"#),
    ])
    func quoting(_ localPart: String, _ expected: String) {
        #expect(Mailbox(localPart: localPart, domain: .name("example.test")).description == expected)
    }

    @Test("Formatting and parsing round-trip, so logs and Received show the address that was parsed", arguments: [
        "john doe", #"a"b"#, #"a\b"#, ".a", "a..b", "user@remote", "plain", "x!#$%&'*+-/=?^_`{|}~",
    ])
    func roundTrip(_ localPart: String) {
        let mailbox = Mailbox(localPart: localPart, domain: .name("example.test"))
        #expect(parsedMailbox("<\(mailbox)>") == mailbox)
    }

    @Test("Envelope paths are written in angle brackets")
    func envelopePaths() {
        #expect(EnvelopePath.null.description == "<>")
        #expect(EnvelopePath.localPostmaster.description == "<Postmaster>")
        #expect(EnvelopePath.mailbox(Mailbox(localPart: "alice", domain: .name("example.test"))).description
            == "<alice@example.test>")
        #expect(EnvelopePath.null.mailbox == nil)
        #expect(EnvelopePath.localPostmaster.mailbox == nil)
    }

    @Test("An address is internationalized when either part is outside ASCII")
    func internationalized() {
        #expect(!Mailbox(localPart: "alice", domain: .name("example.test")).isInternationalized)
        #expect(Mailbox(localPart: "jörg", domain: .name("example.test")).isInternationalized)
        #expect(Mailbox(localPart: "alice", domain: .name("bücher.test")).isInternationalized)
    }
}
