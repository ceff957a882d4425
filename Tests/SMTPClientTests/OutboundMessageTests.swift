import SMTPClient
import Testing

@Suite("OutboundMessage: dot-stuffing and line endings (RFC 5321 § 4.5.2, § 2.3.8)")
struct OutboundMessageTests {
    func wire(_ text: String) -> String {
        String(decoding: OutboundMessage(Array(text.utf8)).wireBytes, as: UTF8.self)
    }

    @Test("Lines starting with a period get one more; other periods are untouched")
    func dotStuffing() {
        #expect(wire(".hidden\r\n..two\r\nmid.dle\r\n.\r\nend.\r\n") == "..hidden\r\n...two\r\nmid.dle\r\n..\r\nend.\r\n.\r\n")
    }

    @Test("The first line is stuffed too")
    func firstLine() {
        #expect(wire(".\r\n") == "..\r\n.\r\n")
    }

    @Test("A message not ending in CRLF gets one before the final period")
    func missingFinalCRLF() {
        #expect(wire("Subject: x\r\n\r\nno newline") == "Subject: x\r\n\r\nno newline\r\n.\r\n")
        #expect(wire("Subject: x\r\n\r\n.") == "Subject: x\r\n\r\n..\r\n.\r\n")
    }

    @Test("A message ending in CRLF gets no second one")
    func endingCRLF() {
        #expect(wire("a\r\nb\r\n") == "a\r\nb\r\n.\r\n")
    }

    @Test("An empty message is only the terminator")
    func empty() {
        #expect(wire("") == ".\r\n")
    }

    @Test("Bare LF and bare CR go out as CRLF, and the line after them is stuffed (no smuggled end of data)")
    func bareLineEndings() {
        #expect(wire("a\n.\nb\r.\rc") == "a\r\n..\r\nb\r\n..\r\nc\r\n.\r\n")
    }

    @Test("Size counts CRLF lines without stuffing or terminator; 8-bit data and headers are detected")
    func facts() {
        let plain = OutboundMessage(Array("Subject: x\r\n\r\n.dot\r\n".utf8))
        #expect(plain.size == 20)
        #expect(!plain.hasEightBitData)
        #expect(!plain.hasEightBitHeaders)

        let body = OutboundMessage(Array("Subject: x\r\n\r\ncafé\r\n".utf8))
        #expect(body.hasEightBitData)
        #expect(!body.hasEightBitHeaders)

        let header = OutboundMessage(Array("Subject: café\r\n\r\nbody\r\n".utf8))
        #expect(header.hasEightBitData)
        #expect(header.hasEightBitHeaders)

        #expect(OutboundMessage(Array("a\nb".utf8)).size == 6)
    }
}
