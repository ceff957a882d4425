import MailCore
import SMTPClient
import Testing

@Suite("SMTPReplyDecoder (RFC 5321 § 4.2, RFC 2034)")
struct ReplyDecoderTests {
    /// All replies in `text`, fed in one read.
    func decode(_ text: String) throws -> [SMTPReply] {
        var decoder = SMTPReplyDecoder()
        decoder.feed(Array(text.utf8))
        var replies: [SMTPReply] = []
        while let reply = try decoder.next() { replies.append(reply) }
        return replies
    }

    @Test("A single-line reply without an enhanced code keeps its text")
    func singleLine() throws {
        let replies = try decode("220 mx.dest.test ESMTP Postfix\r\n")
        #expect(replies == [SMTPReply(220, nil, "mx.dest.test ESMTP Postfix")])
    }

    @Test("An enhanced status code is taken out of the text when its class matches the reply code")
    func enhanced() throws {
        let replies = try decode("550 5.1.1 <nobody@dest.test>: Recipient address rejected\r\n")
        #expect(replies.count == 1)
        #expect(replies.first?.enhanced == EnhancedStatusCode(5, 1, 1))
        #expect(replies.first?.lines == ["<nobody@dest.test>: Recipient address rejected"])
    }

    @Test("Numbers that only look like an enhanced code stay in the text")
    func notEnhanced() throws {
        let replies = try decode("250 5.1.1 class does not match\r\n220 2.6 ready\r\n250 2.0.0x odd\r\n")
        #expect(replies.map(\.enhanced) == [nil, nil, nil])
        #expect(replies.map(\.lines) == [["5.1.1 class does not match"], ["2.6 ready"], ["2.0.0x odd"]])
    }

    @Test("A reply may have no text, or only the enhanced code")
    func bareCodes() throws {
        let replies = try decode("250\r\n250 2.0.0\r\n354 \r\n")
        #expect(replies.map(\.code) == [250, 250, 354])
        #expect(replies[0].lines == [""])
        #expect(replies[1].enhanced == EnhancedStatusCode(2, 0, 0))
        #expect(replies[1].lines == [""])
    }

    @Test("A multi-line reply ends at the line with a space after the code")
    func multiLine() throws {
        let replies = try decode("250-mx.dest.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n")
        #expect(replies == [SMTPReply(250, nil, ["mx.dest.test", "PIPELINING", "SIZE 10240000", "8BITMIME"])])
    }

    @Test("A multi-line reply with the same enhanced code on every line carries it once")
    func multiLineEnhanced() throws {
        let replies = try decode(
            "550-5.7.1 Your message was refused\r\n550-5.7.1 because of policy\r\n550 5.7.1 see https://x.test\r\n")
        #expect(replies.count == 1)
        #expect(replies[0].enhanced == EnhancedStatusCode(5, 7, 1))
        #expect(replies[0].lines == ["Your message was refused", "because of policy", "see https://x.test"])
    }

    @Test("Several replies in one read come out one by one, in order")
    func pipelinedReplies() throws {
        let replies = try decode("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No\r\n354 End data with <CR><LF>.<CR><LF>\r\n")
        #expect(replies.map(\.status) == ["250 2.1.0", "250 2.1.5", "550 5.1.1", "354"])
    }

    @Test("Bytes fed one at a time give the same replies, each only when its last line is complete")
    func dripFed() throws {
        let text = "250-mx.dest.test\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n221 2.0.0 Bye\r\n"
        var decoder = SMTPReplyDecoder()
        var replies: [SMTPReply] = []
        var completedAt: [Int] = []
        for (index, byte) in text.utf8.enumerated() {
            decoder.feed([byte])
            while let reply = try decoder.next() {
                replies.append(reply)
                completedAt.append(index)
            }
        }
        let whole = try decode(text)
        #expect(replies == whole)
        #expect(replies.count == 2)
        let firstEnd = "250-mx.dest.test\r\n250-STARTTLS\r\n250 SMTPUTF8\r\n".utf8.count - 1
        #expect(completedAt == [firstEnd, text.utf8.count - 1])
        #expect(!decoder.hasPartialReply)
    }

    @Test("A bare LF ends a line too")
    func bareLF() throws {
        let replies = try decode("220 old.server ready\n250-a\n250 b\n")
        #expect(replies == [SMTPReply(220, nil, "old.server ready"), SMTPReply(250, nil, ["a", "b"])])
    }

    @Test(
        "Garbage is a protocol error",
        arguments: [
            ("HTTP/1.1 400 Bad Request\r\n", ReplyDecodingError.malformedLine("HTTP/1.1 400 Bad Request")),
            ("25\r\n", .malformedLine("25")),
            ("2500 too many digits\r\n", .malformedLine("2500 too many digits")),
            ("250_underscore\r\n", .malformedLine("250_underscore")),
            ("\r\n", .malformedLine("")),
            ("199 below range\r\n", .codeOutOfRange(199)),
            ("600 above range\r\n", .codeOutOfRange(600)),
            ("250-first\r\n550 second\r\n", .inconsistentCode(expected: 250, found: 550)),
        ])
    func garbage(text: String, error: ReplyDecodingError) {
        #expect(throws: error) { try decode(text) }
    }

    @Test("An overlong line is an error, with or without its line end")
    func overlong() {
        var decoder = SMTPReplyDecoder(maximumLineLength: 100)
        decoder.feed(Array(("250 " + String(repeating: "x", count: 200)).utf8))
        #expect(throws: ReplyDecodingError.lineTooLong(100)) { try decoder.next() }

        var terminated = SMTPReplyDecoder(maximumLineLength: 100)
        terminated.feed(Array(("250 " + String(repeating: "x", count: 97) + "\r\n").utf8))
        #expect(throws: ReplyDecodingError.lineTooLong(100)) { try terminated.next() }

        var fits = SMTPReplyDecoder(maximumLineLength: 100)
        fits.feed(Array(("250 " + String(repeating: "x", count: 96) + "\r\n").utf8))
        #expect((try? fits.next())?.lines.first?.count == 96)
    }

    @Test("A reply with more lines than allowed is an error")
    func tooManyLines() {
        var decoder = SMTPReplyDecoder(maximumLines: 5)
        decoder.feed(Array(String(repeating: "250-x\r\n", count: 6).utf8))
        #expect(throws: ReplyDecodingError.tooManyLines(5)) { try decoder.next() }
    }

    @Test("reset() drops bytes already buffered (plaintext read after the 220 to STARTTLS)")
    func resetDropsBuffer() throws {
        var decoder = SMTPReplyDecoder()
        decoder.feed(Array("220 2.0.0 Ready to start TLS\r\n250 injected\r\n250-partial".utf8))
        #expect(try decoder.next()?.code == 220)
        decoder.reset()
        #expect(try decoder.next() == nil)
        #expect(!decoder.hasPartialReply)
        decoder.feed(Array("250 after handshake\r\n".utf8))
        #expect(try decoder.next() == SMTPReply(250, nil, "after handshake"))
    }
}
