import NIOCore
import POP3Protocol
import Testing

@Suite("POP3MessageWire: RETR and TOP bytes")
struct MessageWireTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("RETR of a CRLF message: +OK line, the message, the terminator")
    func crlfMessage() {
        let message = Self.bytes("Subject: a\r\n\r\nbody\r\n")
        #expect(POP3MessageWire.retrResponse(message, octets: 20) == Self.bytes("+OK 20 octets\r\nSubject: a\r\n\r\nbody\r\n.\r\n"))
        #expect(POP3MessageWire.wireSize(of: message) == 20)
    }

    @Test("Lines starting with '.' are byte-stuffed")
    func byteStuffing() {
        let message = Self.bytes("S: x\r\n\r\n.\r\n..two\r\n.x\r\na.b\r\n")
        #expect(
            POP3MessageWire.retrResponse(message, octets: 1)
                == Self.bytes("+OK 1 octets\r\nS: x\r\n\r\n..\r\n...two\r\n..x\r\na.b\r\n.\r\n"))
        #expect(POP3MessageWire.wireSize(of: message) == message.count, "stuffing is not counted")
    }

    @Test("Bare LF line ends become CRLF; a missing final newline is added")
    func bareLF() {
        let message = Self.bytes("S: x\n\nline\n.dot\nlast")
        #expect(
            POP3MessageWire.retrResponse(message, octets: 30)
                == Self.bytes("+OK 30 octets\r\nS: x\r\n\r\nline\r\n..dot\r\nlast\r\n.\r\n"))
        #expect(POP3MessageWire.wireSize(of: message) == 6 + 2 + 6 + 6 + 6)
    }

    @Test("Mixed endings and an empty message")
    func mixedAndEmpty() {
        #expect(POP3MessageWire.retrResponse(Self.bytes("a\r\nb\nc\r\n"), octets: 9) == Self.bytes("+OK 9 octets\r\na\r\nb\r\nc\r\n.\r\n"))
        #expect(POP3MessageWire.retrResponse([], octets: 0) == Self.bytes("+OK 0 octets\r\n.\r\n"))
        #expect(POP3MessageWire.wireSize(of: []) == 0)
    }

    static let message = Self.bytes("From: a\r\nSubject: b\r\n\r\nline 1\r\n.line 2\r\nline 3\r\n")

    @Test("TOP 0: the header and the blank line only")
    func topZero() {
        #expect(
            POP3MessageWire.topResponse(Self.message, lines: 0)
                == Self.bytes("+OK Top of message follows\r\nFrom: a\r\nSubject: b\r\n\r\n.\r\n"))
    }

    @Test("TOP 2: two body lines, byte-stuffed")
    func topTwo() {
        #expect(
            POP3MessageWire.topResponse(Self.message, lines: 2)
                == Self.bytes("+OK Top of message follows\r\nFrom: a\r\nSubject: b\r\n\r\nline 1\r\n..line 2\r\n.\r\n"))
    }

    @Test("TOP beyond the body sends the whole message", arguments: [3, 4, 1000, Int.max])
    func topBeyond(lines: Int) {
        #expect(
            POP3MessageWire.topResponse(Self.message, lines: lines)
                == Self.bytes("+OK Top of message follows\r\nFrom: a\r\nSubject: b\r\n\r\nline 1\r\n..line 2\r\nline 3\r\n.\r\n"))
    }

    @Test("TOP of a bare-LF message and of a header-only message")
    func topOddMessages() {
        #expect(
            POP3MessageWire.topResponse(Self.bytes("A: 1\n\nx\ny\n"), lines: 1)
                == Self.bytes("+OK Top of message follows\r\nA: 1\r\n\r\nx\r\n.\r\n"))
        #expect(
            POP3MessageWire.topResponse(Self.bytes("A: 1\nB: 2\n"), lines: 0)
                == Self.bytes("+OK Top of message follows\r\nA: 1\r\nB: 2\r\n.\r\n"))
    }
}

@Suite("POP3MessageWire: the fast RETR copy equals line-by-line stuffing")
struct MessageWireEquivalenceTests {
    /// The reference: each line of forEachLine, stuffed, CR LF ended.
    static func reference(_ message: [UInt8], octets: Int) -> [UInt8] {
        var out = Array("+OK \(octets) octets\r\n".utf8)
        var lines: [[UInt8]] = []
        var start = 0
        while start < message.count {
            let end = message[start...].firstIndex(of: 0x0A) ?? message.count
            var contentEnd = end
            if contentEnd > start, message[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            lines.append(Array(message[start..<contentEnd]))
            start = end + 1
        }
        for line in lines {
            if line.first == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out += line + [0x0D, 0x0A]
        }
        return out + Array(".\r\n".utf8)
    }

    @Test(
        "Edge cases: dots, bare LF, lone CR, missing final newline, empty lines",
        arguments: [
            "", ".", "\n", "\r\n", "\r", "a", "a\r", "a\r\r\n", ".\r\n.", "..\n.\r\n", "\n.\n\n.x", "x\r.y\n", "a\nb\r\nc",
            "\r\n\r\n.\r\n", ".a\r\n.b\r\n.c",
        ])
    func edgeCases(text: String) {
        let message = Array(text.utf8)
        #expect(POP3MessageWire.retrResponse(message, octets: 7) == Self.reference(message, octets: 7))
        let body = POP3MessageWire.retrResponse(message, octets: 7).dropFirst("+OK 7 octets\r\n".utf8.count).dropLast(3)
        let unstuffedSize = body.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
            .reduce(0) { $0 + $1.count + 1 - ($1.first == UInt8(ascii: ".") ? 1 : 0) }
        #expect(POP3MessageWire.wireSize(of: message) == unstuffedSize, "LIST size = octets sent before stuffing")
    }

    @Test("Random messages over a small alphabet")
    func randomMessages() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array(".\r\na".utf8)
        for _ in 0..<2000 {
            let message = (0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            #expect(POP3MessageWire.retrResponse(message, octets: 1) == Self.reference(message, octets: 1), "\(message)")
        }
    }
}

@Suite("POP3MessageWire: the response written into a ByteBuffer")
struct MessageWireByteBufferTests {
    @Test("It is appended after what the buffer already holds")
    func appends() {
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeString("+OK\r\n")
        Array("a\n.b".utf8).withUnsafeBytes { POP3MessageWire.writeRetrResponse($0, octets: 7, into: &buffer) }
        #expect(String(buffer: buffer) == "+OK\r\n+OK 7 octets\r\na\r\n..b\r\n.\r\n")
    }

    @Test("Long random messages (long lines, runs of dots and line ends) equal the line-by-line reference")
    func longRandomMessages() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array(".\r\nabcdefghijklmnopqrstuvwxyz0123456789 ".utf8)
        for _ in 0..<200 {
            let message = (0..<Int.random(in: 0...5000, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            let expected = MessageWireEquivalenceTests.reference(message, octets: 3)
            #expect(POP3MessageWire.retrResponse(message, octets: 3) == expected)
        }
    }
}
