import NIOCore
import SMTPProtocol
import Testing

/// A comparable picture of one framed line.
struct FramedLine: Equatable, CustomStringConvertible {
    var text: String
    var ending: LineEnding
    var bareCR: Bool
    var overlong: Bool
    var wireLength: Int

    init(_ line: InputLine) {
        text = String(decoding: line.bytes.readableBytesView, as: UTF8.self)
        ending = line.ending
        bareCR = line.containsBareCR
        overlong = line.overlong
        wireLength = line.wireLength
    }

    init(_ text: String, _ ending: LineEnding = .crlf, bareCR: Bool = false, overlong: Bool = false, wireLength: Int? = nil) {
        self.text = text
        self.ending = ending
        self.bareCR = bareCR
        self.overlong = overlong
        self.wireLength = wireLength ?? (text.utf8.count + (ending == .crlf ? 2 : 1))
    }

    var description: String { "\(text.debugDescription) \(ending)\(bareCR ? " bareCR" : "")\(overlong ? " overlong" : "") \(wireLength)" }
}

/// The next line the framer gives, as a `FramedLine`.
func nextLine(_ framer: inout LineFramer, _ buffer: inout ByteBuffer) -> FramedLine? {
    framer.next(from: &buffer).map(FramedLine.init)
}

/// Frames `input`, delivered in chunks of `chunkSize` bytes (nil: all at once).
func frame(_ input: String, limit: Int = 998, chunkSize: Int? = nil) -> [FramedLine] {
    var framer = LineFramer(maximumLineLength: limit)
    var buffer = ByteBuffer()
    var out: [FramedLine] = []
    let bytes = Array(input.utf8)
    let size = max(1, chunkSize ?? bytes.count)
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + size)
        buffer.writeBytes(bytes[start..<end])
        while let line = framer.next(from: &buffer) { out.append(FramedLine(line)) }
        buffer.discardReadBytes()
        start = end
    }
    return out
}

@Suite("LineFramer")
struct LineFramerTests {
    @Test("CRLF lines come out without their ending")
    func crlfLines() {
        #expect(frame("EHLO a.test\r\nNOOP\r\n\r\n") == [
            FramedLine("EHLO a.test"), FramedLine("NOOP"), FramedLine(""),
        ])
    }

    @Test("An incomplete line is held until its LF arrives")
    func incompleteLine() {
        var framer = LineFramer(maximumLineLength: 998)
        var buffer = ByteBuffer(string: "NOOP\r")
        let none = nextLine(&framer, &buffer)
        #expect(none == nil)
        buffer.writeString("\nQUI")
        let line = nextLine(&framer, &buffer)
        #expect(line == FramedLine("NOOP"))
        let held = nextLine(&framer, &buffer)
        #expect(held == nil)
        #expect(buffer.readableBytes == 3)
    }

    @Test("A bare LF ends a line and is reported as .bareLF, not repaired")
    func bareLF() {
        #expect(frame("NOOP\nRSET\r\n\n") == [
            FramedLine("NOOP", .bareLF), FramedLine("RSET"), FramedLine("", .bareLF),
        ])
    }

    @Test("A bare CR inside a line does not end it and is reported")
    func bareCR() {
        #expect(frame("NOOP\rRSET\r\n") == [FramedLine("NOOP\rRSET", bareCR: true)])
        #expect(frame("a\r\r\n") == [FramedLine("a\r", bareCR: true)])
        #expect(frame("\r.\r\n") == [FramedLine("\r.", bareCR: true)])
        #expect(frame("x\r.\n") == [FramedLine("x\r.", .bareLF, bareCR: true)])
    }

    @Test("A clean line is one with CRLF and no stray CR")
    func isClean() {
        var framer = LineFramer(maximumLineLength: 998)
        var buffer = ByteBuffer(string: "a\r\nb\nc\rd\r\n")
        let clean = framer.next(from: &buffer)
        let bareLF = framer.next(from: &buffer)
        let bareCR = framer.next(from: &buffer)
        #expect(clean?.isClean == true)
        #expect(bareLF?.isClean == false)
        #expect(bareCR?.isClean == false)
    }

    @Test("A line of exactly the limit passes; one octet more is overlong")
    func limitBoundary() {
        #expect(frame("\(repeated("a", 10))\r\n", limit: 10) == [FramedLine(repeated("a", 10))])
        #expect(frame("\(repeated("a", 10))\n", limit: 10) == [FramedLine(repeated("a", 10), .bareLF)])
        let over = frame("\(repeated("a", 11))\r\nNOOP\r\n", limit: 10)
        #expect(over.count == 2)
        #expect(over.first?.overlong == true)
        #expect(over.first?.text == "")
        #expect(over.last == FramedLine("NOOP"))
    }

    @Test("An overlong line is dropped as it arrives and reported once, when it ends, with its real ending")
    func overlongReportedAtItsEnd() {
        var framer = LineFramer(maximumLineLength: 10)
        var buffer = ByteBuffer(string: repeated("a", 12))
        #expect(nextLine(&framer, &buffer) == nil)
        #expect(buffer.readableBytes == 0, "nothing past the limit is kept")
        buffer.writeString(repeated("b", 5000))
        #expect(nextLine(&framer, &buffer) == nil)
        #expect(buffer.readableBytes == 0)
        buffer.writeString("bbb\r")
        #expect(nextLine(&framer, &buffer) == nil)
        // The LF arrives in a read of its own: the CR before it was in the previous one.
        buffer.writeString("\nNOOP\r\n")
        #expect(nextLine(&framer, &buffer) == FramedLine("", .crlf, overlong: true, wireLength: 12 + 5000 + 5))
        #expect(nextLine(&framer, &buffer) == FramedLine("NOOP"))
        #expect(nextLine(&framer, &buffer) == nil)
    }

    @Test("An overlong line that ends in a bare LF says so, so it cannot end DATA by accident")
    func overlongBareLF() {
        var framer = LineFramer(maximumLineLength: 10)
        var buffer = ByteBuffer(string: repeated("a", 50) + "\n.\r\n")
        #expect(nextLine(&framer, &buffer) == FramedLine("", .bareLF, overlong: true, wireLength: 51))
        #expect(nextLine(&framer, &buffer) == FramedLine("."))
    }

    @Test("After an overlong line, normal lines continue, whether fed at once or one byte at a time", arguments: [nil, 1, 7])
    func overlongThenNormal(_ chunkSize: Int?) {
        let input = "NOOP\r\n" + repeated("x", 3000) + "\r\nRSET\r\nQUIT\r\n"
        let lines = frame(input, limit: 100, chunkSize: chunkSize)
        #expect(lines.count == 4)
        #expect(lines.first == FramedLine("NOOP"))
        #expect(lines.dropFirst().first?.overlong == true)
        #expect(lines.dropFirst().first?.text == "")
        #expect(Array(lines.suffix(2)) == [FramedLine("RSET"), FramedLine("QUIT")])
    }

    @Test("Feeding a whole SMTP dialogue one byte at a time gives the same lines as feeding it at once", arguments: [1, 2, 3, 5, 64])
    func dripFeedDialogue(_ chunkSize: Int) {
        let dialogue = realisticDialogue
        let atOnce = frame(dialogue)
        let dripped = frame(dialogue, chunkSize: chunkSize)
        #expect(atOnce.count == 21)
        #expect(dripped == atOnce)
    }
}

/// A dialogue with pipelining, dot-stuffing, an empty line, 8-bit text, a
/// stray bare LF and a stray CR, and a line at exactly the text limit.
let realisticDialogue = crlf(
    "EHLO client.example.test",
    "MAIL FROM:<bob@remote.test> SIZE=2000 BODY=8BITMIME",
    "RCPT TO:<alice@example.test>",
    "RCPT TO:<postmaster@example.test>",
    "DATA",
    "From: Bob <bob@remote.test>",
    "To: Alice <alice@example.test>",
    "Subject: Grüße",
    "",
    "..a stuffed line",
    "...",
    repeated("w", 998),
    "Ünïcödé body",
    "."
) + "NOOP\n" + "NOOP\rstray\r\n" + crlf(
    "MAIL FROM:<>",
    "RCPT TO:<Postmaster>",
    "DATA",
    ".",
    "QUIT"
)
