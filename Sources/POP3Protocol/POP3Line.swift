import NIOCore

/// One line of client input, without its line ending.
public struct POP3Line: Sendable, Hashable {
    /// The line's content (invalid UTF-8 is replaced; such a line never
    /// parses as a valid command).
    public var text: String
    /// The line ended in CR LF and holds no other CR.
    public var cleanEnding: Bool
    /// The line was longer than the framer keeps: `text` is empty.
    public var overlong: Bool

    public init(_ text: String, cleanEnding: Bool = true, overlong: Bool = false) {
        self.text = text
        self.cleanEnding = cleanEnding
        self.overlong = overlong
    }

    /// Octets on the wire, CR LF included (for an overlong line: unknown,
    /// reported as `Int.max`).
    var wireLength: Int { overlong ? .max : text.utf8.count + 2 }
}

/// Splits a POP3 byte stream into lines, like SMTP's `LineFramer`: on LF
/// only, reporting (not repairing) a missing CR, and dropping the content
/// of a line longer than the limit as it arrives, so a client that never
/// sends a newline costs no memory. The session decides what a line means,
/// so after STLS nothing read ahead is interpreted.
public struct POP3LineFramer: Sendable {
    /// The longest content kept. Commands are limited to 255 octets by the
    /// session; SASL responses may be longer, hence the larger default.
    public let maximumLineLength: Int
    private var discarding = false

    public init(maximumLineLength: Int = 1024) {
        self.maximumLineLength = maximumLineLength
    }

    /// Takes the next complete line out of `buffer`, or nil when more bytes
    /// are needed.
    public mutating func next(from buffer: inout ByteBuffer) -> POP3Line? {
        let view = buffer.readableBytesView
        guard let newline = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if discarding || buffer.readableBytes > maximumLineLength + 1 {
                discarding = true
                buffer.moveReaderIndex(to: buffer.writerIndex)
            }
            return nil
        }
        defer { buffer.moveReaderIndex(to: newline + 1) }
        if discarding {
            discarding = false
            return POP3Line("", cleanEnding: false, overlong: true)
        }
        var content = view[view.startIndex..<newline]
        let hadCR = content.last == UInt8(ascii: "\r")
        if hadCR { content = content.dropLast() }
        if content.count > maximumLineLength {
            return POP3Line("", cleanEnding: hadCR, overlong: true)
        }
        let strayCR = content.contains(UInt8(ascii: "\r"))
        return POP3Line(String(decoding: content, as: UTF8.self), cleanEnding: hadCR && !strayCR)
    }
}
