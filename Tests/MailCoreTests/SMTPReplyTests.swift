import MailCore
import Testing

@Suite("SMTPReply wire format (RFC 5321 § 4.2.1)")
struct SMTPReplyTests {
    @Test("A single-line reply is code, space, enhanced code, text, CRLF")
    func singleLine() {
        #expect(SMTPReply(250, .init(2, 1, 5), "Recipient OK").wireText == "250 2.1.5 Recipient OK\r\n")
        #expect(SMTPReply(220, nil, "mx.example.test ESMTP SIMS").wireText == "220 mx.example.test ESMTP SIMS\r\n")
    }

    @Test("A multi-line reply uses '-' on every line but the last")
    func multiLine() {
        let reply = SMTPReply(250, nil, ["mx.example.test Hello", "PIPELINING", "8BITMIME"])
        #expect(reply.wireText == "250-mx.example.test Hello\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
    }

    @Test("A multi-line reply repeats the enhanced code on every line")
    func multiLineEnhanced() {
        let reply = SMTPReply(214, .init(2, 0, 0), ["Commands: EHLO", "See RFC 5321"])
        #expect(reply.wireText == "214-2.0.0 Commands: EHLO\r\n214 2.0.0 See RFC 5321\r\n")
    }

    @Test("A reply with no lines still has one line")
    func emptyLines() {
        let reply = SMTPReply(250, nil, [String]())
        #expect(reply.lines == [""])
        #expect(reply.wireText == "250 \r\n")
    }

    @Test("The log form is one line")
    func description() {
        let reply = SMTPReply(550, .init(5, 1, 1), ["No such user", "here"])
        #expect(reply.description == "550 5.1.1 No such user / here")
        #expect(!reply.description.contains("\r") && !reply.description.contains("\n"))
        #expect(SMTPReply(221, nil, "bye").description == "221 bye")
    }

    @Test("Reply classes")
    func classes() {
        #expect(SMTPReply(250, nil, "").isPositive)
        #expect(SMTPReply(354, nil, "").isPositive)
        #expect(SMTPReply(421, nil, "").isTransientFailure)
        #expect(!SMTPReply(421, nil, "").isPermanentFailure)
        #expect(SMTPReply(554, nil, "").isPermanentFailure)
        #expect(!SMTPReply(554, nil, "").isTransientFailure)
    }

    @Test("Enhanced status codes print as class.subject.detail")
    func enhanced() {
        #expect(EnhancedStatusCode(5, 7, 1).description == "5.7.1")
        #expect(EnhancedStatusCode(4, 5, 3).description == "4.5.3")
    }
}
