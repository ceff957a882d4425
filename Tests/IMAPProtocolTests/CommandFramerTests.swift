import IMAPProtocol
import Testing

@Suite("IMAP command framer: lines, literals, limits before reading")
struct CommandFramerTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("a plain command, fed a byte at a time, comes out once, whole")
    func plainCommandInPieces() {
        var framer = IMAPCommandFramer()
        var events: [IMAPFramerEvent] = []
        for byte in bytes("a1 NOOP\r\n") { events += framer.feed([byte]) }
        #expect(events == [.command(IMAPCommandText(segments: [.line(bytes("a1 NOOP"))]))])
        #expect(framer.bufferedBytes == 0)
    }

    @Test("two pipelined commands in one read are two events; a bare LF ends a line too")
    func pipelined() {
        var framer = IMAPCommandFramer()
        let events = framer.feed(bytes("a1 NOOP\r\na2 CAPABILITY\na3 LOG"))
        #expect(
            events == [
                .command(IMAPCommandText(segments: [.line(bytes("a1 NOOP"))])),
                .command(IMAPCommandText(segments: [.line(bytes("a2 CAPABILITY"))])),
            ])
        #expect(framer.bufferedBytes == 6)
    }

    @Test("a synchronizing literal asks for a continuation, then takes exactly its size, CRLF included")
    func synchronizingLiteral() {
        var framer = IMAPCommandFramer()
        #expect(framer.feed(bytes("A1 LOGIN {5}\r\n")) == [.continuationRequest])
        #expect(framer.feed(bytes("al\r\n")) == [])
        let events = framer.feed(bytes("i {6+}\r\nsecret\r\n"))
        #expect(
            events == [
                .command(
                    IMAPCommandText(segments: [
                        .line(bytes("A1 LOGIN ")), .literal(bytes("al\r\ni"), binary: false), .line(bytes(" ")),
                        .literal(bytes("secret"), binary: false), .line([]),
                    ]))
            ])
    }

    @Test("a non-synchronizing literal (LITERAL+) needs no continuation; ~{n} is a binary literal")
    func nonSynchronizingAndBinary() {
        var framer = IMAPCommandFramer()
        let events = framer.feed(bytes("t APPEND INBOX ~{3+}\r\n") + [0, 1, 2] + bytes("\r\n"))
        #expect(
            events == [
                .command(
                    IMAPCommandText(segments: [.line(bytes("t APPEND INBOX ")), .literal([0, 1, 2], binary: true), .line([])]))
            ])
    }

    @Test("the literals of one command together stay under the literal limit")
    func literalTotal() {
        var limits = IMAPCommandFramer.Limits()
        limits.maximumLiteralSize = 1000
        var framer = IMAPCommandFramer(limits: limits)
        let events = framer.feed(bytes("C1 LOGIN {600+}\r\n" + String(repeating: "u", count: 600) + " {600+}\r\n"))
        #expect(events == [.literalTooLarge(tag: "C1", size: 600, synchronizing: false)])
    }

    @Test("a literal over the limit is refused before any of it is read")
    func literalTooLarge() {
        var limits = IMAPCommandFramer.Limits()
        limits.maximumLiteralSize = 1000
        var framer = IMAPCommandFramer(limits: limits)
        #expect(
            framer.feed(bytes("A9 APPEND INBOX {1001}\r\n"))
                == [.literalTooLarge(tag: "A9", size: 1001, synchronizing: true)])
        // The client, refused, sends its next command, not the literal.
        #expect(framer.feed(bytes("A10 NOOP\r\n")) == [.command(IMAPCommandText(segments: [.line(bytes("A10 NOOP"))]))])
        // A size no integer holds is refused the same way, not trapped on.
        var other = IMAPCommandFramer(limits: limits)
        #expect(
            other.feed(bytes("B1 APPEND INBOX {9999999999999999999+}\r\n"))
                == [.literalTooLarge(tag: "B1", size: 9_999_999_999_999_999_999, synchronizing: false)])
    }

    @Test("an overlong line is dropped as it arrives and reported once, with its tag")
    func overlongLine() {
        var limits = IMAPCommandFramer.Limits()
        limits.maximumLineLength = 100
        var framer = IMAPCommandFramer(limits: limits)
        var events = framer.feed(bytes("X1 SEARCH " + String(repeating: "A", count: 300)))
        #expect(events.isEmpty)
        #expect(framer.bufferedBytes == 0, "the bytes of an overlong line are not kept")
        events = framer.feed(bytes(String(repeating: "B", count: 5000) + "\r\nX2 NOOP\r\n"))
        #expect(events == [.lineTooLong(tag: "X1"), .command(IMAPCommandText(segments: [.line(bytes("X2 NOOP"))]))])
    }

    @Test("thousands of tiny literals in one command are cut off")
    func tooManyLiterals() {
        var limits = IMAPCommandFramer.Limits()
        limits.maximumLiterals = 3
        var framer = IMAPCommandFramer(limits: limits)
        let events = framer.feed(bytes("Z SEARCH {1+}\r\na {1+}\r\nb {1+}\r\nc {1+}\r\nd\r\n"))
        #expect(events.first == .tooManyLiterals(tag: "Z"))
    }

    @Test("something like a literal that is not one stays text: {abc}, a brace in the middle")
    func notALiteral() {
        var framer = IMAPCommandFramer()
        #expect(
            framer.feed(bytes("a SEARCH SUBJECT {abc}\r\n")) == [
                .command(IMAPCommandText(segments: [.line(bytes("a SEARCH SUBJECT {abc}"))]))
            ])
    }

    @Test(
        "200,000 pipelined commands in one read are framed in linear time (a copy per line would take minutes)",
        .timeLimit(.minutes(1)))
    func pipelinedFlood() {
        var framer = IMAPCommandFramer()
        let events = framer.feed(Array(String(repeating: "a NOOP\r\n", count: 200_000).utf8))
        #expect(events.count == 200_000)
        #expect(framer.bufferedBytes == 0)
    }
}
