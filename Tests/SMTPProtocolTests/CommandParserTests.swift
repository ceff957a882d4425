import MailCore
import SMTPProtocol
import Testing

private func parse(_ line: String, utf8: Bool = false) -> SMTPCommand? {
    try? SMTPCommandParser.parse(line, utf8Recipients: utf8).get()
}

/// The reply a refused command line earns, as "code x.y.z".
private func refusal(_ line: String, utf8: Bool = false) -> String? {
    if case .failure(let error) = SMTPCommandParser.parse(line, utf8Recipients: utf8) { return error.reply.status }
    return nil
}

private func mailbox(_ local: String, _ domain: String) -> EnvelopePath {
    .mailbox(Mailbox(localPart: local, domain: .name(domain)))
}

@Suite("SMTPCommandParser")
struct CommandParserTests {
    @Test("Every verb is recognised")
    func everyVerb() {
        #expect(parse("EHLO client.test") == .ehlo("client.test"))
        #expect(parse("HELO client.test") == .helo("client.test"))
        #expect(parse("MAIL FROM:<bob@remote.test>") == .mail(mailbox("bob", "remote.test"), MailParameters()))
        #expect(parse("RCPT TO:<alice@example.test>") == .rcpt(mailbox("alice", "example.test")))
        #expect(parse("DATA") == .data)
        #expect(parse("RSET") == .rset)
        #expect(parse("NOOP") == .noop)
        #expect(parse("QUIT") == .quit)
        #expect(parse("VRFY alice") == .vrfy("alice"))
        #expect(parse("EXPN staff") == .expn("staff"))
        #expect(parse("HELP") == .help)
        #expect(parse("STARTTLS") == .startTLS)
    }

    @Test("Verbs and the FROM:/TO: keywords are case-insensitive")
    func caseInsensitive() {
        #expect(parse("ehlo client.test") == .ehlo("client.test"))
        #expect(parse("HeLo client.test") == .helo("client.test"))
        #expect(parse("mail from:<bob@remote.test>") == .mail(mailbox("bob", "remote.test"), MailParameters()))
        #expect(parse("Rcpt To:<alice@example.test>") == .rcpt(mailbox("alice", "example.test")))
        #expect(parse("data") == .data)
        #expect(parse("rSeT") == .rset)
        #expect(parse("noop") == .noop)
        #expect(parse("quit") == .quit)
        #expect(parse("starttls") == .startTLS)
        #expect(parse("help") == .help)
        #expect(parse("vrfy alice") == .vrfy("alice"))
    }

    @Test("Verbs are matched as ASCII only: Unicode look-alikes that upper-case to a verb are not commands", arguments: [
        "MA\u{131}L FROM:<bob@remote.test>",  // dotless i upper-cases to I
        "R\u{17F}ET",  // long s upper-cases to S
        "QU\u{131}T",
        "DATA\u{0}",
    ])
    func asciiVerbsOnly(_ line: String) {
        #expect(refusal(line)?.hasPrefix("50") == true, "\(line.debugDescription) was accepted as \(String(describing: parse(line)))")
    }

    @Test("One space after the colon is tolerated, as most servers do")
    func spaceAfterColon() {
        #expect(parse("MAIL FROM: <bob@remote.test>") == .mail(mailbox("bob", "remote.test"), MailParameters()))
        #expect(parse("RCPT TO: <alice@example.test>") == .rcpt(mailbox("alice", "example.test")))
    }

    @Test("MAIL parameters SIZE, BODY and SMTPUTF8, keywords and values in any case")
    func mailParameters() {
        #expect(parse("MAIL FROM:<bob@remote.test> SIZE=12345")
            == .mail(mailbox("bob", "remote.test"), MailParameters(declaredSize: 12345)))
        #expect(parse("MAIL FROM:<bob@remote.test> BODY=8BITMIME")
            == .mail(mailbox("bob", "remote.test"), MailParameters(body: .eightBitMIME)))
        #expect(parse("MAIL FROM:<bob@remote.test> body=7bit")
            == .mail(mailbox("bob", "remote.test"), MailParameters(body: .sevenBit)))
        #expect(parse("MAIL FROM:<bob@remote.test> smtputf8")
            == .mail(mailbox("bob", "remote.test"), MailParameters(smtpUTF8: true)))
        #expect(parse("MAIL FROM:<> SIZE=0 BODY=8BITMIME SMTPUTF8")
            == .mail(.null, MailParameters(declaredSize: 0, body: .eightBitMIME, smtpUTF8: true)))
        #expect(parse("MAIL FROM:<bob@remote.test>  SIZE=10   BODY=7BIT ")
            == .mail(mailbox("bob", "remote.test"), MailParameters(declaredSize: 10, body: .sevenBit)))
    }

    @Test("A repeated MAIL parameter is a syntax error", arguments: [
        "MAIL FROM:<bob@remote.test> SIZE=1 SIZE=2",
        "MAIL FROM:<bob@remote.test> size=1 SIZE=1",
        "MAIL FROM:<bob@remote.test> BODY=7BIT BODY=8BITMIME",
        "MAIL FROM:<bob@remote.test> SMTPUTF8 smtputf8",
    ])
    func duplicateParameters(_ line: String) {
        #expect(refusal(line) == "501 5.5.4")
    }

    @Test("Malformed SIZE values are syntax errors", arguments: [
        "SIZE=abc", "SIZE=-1", "SIZE=", "SIZE=1.5", "SIZE=99999999999999999999", "SIZE=1e6",
    ])
    func badSize(_ parameter: String) {
        #expect(refusal("MAIL FROM:<bob@remote.test> \(parameter)") == "501 5.5.4")
    }

    @Test("Unknown or unsupported MAIL parameters get 555", arguments: [
        "RET=HDRS", "ENVID=abc", "BODY=BINARYMIME", "SMTPUTF8=yes", "BODY", "X-FOO", "REQUIRETLS",
    ])
    func unknownMailParameters(_ parameter: String) {
        #expect(refusal("MAIL FROM:<bob@remote.test> \(parameter)") == "555 5.5.4")
    }

    @Test("RCPT parameters (DSN) are not implemented: 555", arguments: ["NOTIFY=NEVER", "ORCPT=rfc822;a@b.test", "X"])
    func unknownRcptParameters(_ parameter: String) {
        #expect(refusal("RCPT TO:<alice@example.test> \(parameter)") == "555 5.5.4")
    }

    @Test("DATA, RSET, QUIT and STARTTLS take no arguments", arguments: [
        "DATA x", "RSET now", "QUIT please", "STARTTLS x", "data 1",
    ])
    func noArguments(_ line: String) {
        #expect(refusal(line) == "501 5.5.4")
    }

    @Test("Trailing spaces after an argument-less verb are tolerated")
    func trailingSpaces() {
        #expect(parse("DATA  ") == .data)
        #expect(parse("QUIT ") == .quit)
        #expect(parse("EHLO client.test  ") == .ehlo("client.test"))
    }

    @Test("NOOP and HELP ignore their argument")
    func ignoredArguments() {
        #expect(parse("NOOP anything at all") == .noop)
        #expect(parse("HELP MAIL") == .help)
    }

    @Test("Unknown verbs get 500 5.5.1", arguments: [
        "FOO", "", " ", "BDAT 100 LAST", "ETRN example.test", "TURN", "XCLIENT ADDR=1.2.3.4",
        "MAILFROM:<bob@remote.test>", "EHLO\tclient.test",
    ])
    func unknownVerb(_ line: String) {
        #expect(refusal(line) == "500 5.5.1")
    }

    @Test("EHLO/HELO need exactly one printable name", arguments: [
        "EHLO", "EHLO ", "HELO", "EHLO two words", "EHLO caf\u{E9}.test", "EHLO a\u{7F}b",
    ])
    func badHello(_ line: String) {
        #expect(refusal(line) == "501 5.5.4")
    }

    @Test("EHLO with an address literal is accepted")
    func helloLiteral() {
        #expect(parse("EHLO [192.0.2.10]") == .ehlo("[192.0.2.10]"))
    }

    @Test("MAIL and RCPT without their keyword are syntax errors")
    func missingKeyword() {
        #expect(refusal("MAIL <bob@remote.test>") == "501 5.5.4")
        #expect(refusal("MAIL") == "501 5.5.4")
        #expect(refusal("RCPT <alice@example.test>") == "501 5.5.4")
        #expect(refusal("RCPT FROM:<alice@example.test>") == "501 5.5.4")
    }

    @Test("A bad sender address is 501 5.1.7", arguments: [
        "MAIL FROM:", "MAIL FROM:bob@remote.test", "MAIL FROM:<bob@remote.test@example.test>", "MAIL FROM:<Postmaster>",
        "MAIL FROM:<bob@remote.test.>", "MAIL FROM:<bob>", "MAIL FROM:<bob@remote.test>x",
    ])
    func badSender(_ line: String) {
        #expect(refusal(line) == "501 5.1.7")
    }

    @Test("A bad recipient address is 501 5.1.3", arguments: [
        "RCPT TO:", "RCPT TO:alice@example.test", "RCPT TO:<>", "RCPT TO:<alice@remote.test@example.test>",
        "RCPT TO:<alice@example.test.>", "RCPT TO:<remote!alice>", "RCPT TO:<alice@example.test>x",
    ])
    func badRecipient(_ line: String) {
        #expect(refusal(line) == "501 5.1.3")
    }

    @Test("RCPT TO:<Postmaster> names the local postmaster")
    func rcptPostmaster() {
        #expect(parse("RCPT TO:<postmaster>") == .rcpt(.localPostmaster))
    }

    @Test("Non-ASCII addresses need SMTPUTF8: 553 5.6.7 without it")
    func utf8Addresses() {
        #expect(refusal("MAIL FROM:<j\u{F6}rg@remote.test>") == "553 5.6.7")
        #expect(parse("MAIL FROM:<j\u{F6}rg@remote.test> SMTPUTF8")
            == .mail(mailbox("j\u{F6}rg", "remote.test"), MailParameters(smtpUTF8: true)))
        #expect(refusal("RCPT TO:<j\u{F6}rg@example.test>", utf8: false) == "553 5.6.7")
        #expect(parse("RCPT TO:<j\u{F6}rg@example.test>", utf8: true) == .rcpt(mailbox("j\u{F6}rg", "example.test")))
    }

    @Test("VRFY and EXPN need an argument")
    func vrfyArgument() {
        #expect(refusal("VRFY") == "501 5.5.4")
        #expect(refusal("EXPN") == "501 5.5.4")
    }
}
