import NIOCore

/// How an input line was terminated.
public enum LineEnding: Hashable, Sendable {
    /// CR LF, the only ending RFC 5321 § 2.3.8 allows.
    case crlf
    /// A LF without the CR before it.
    case bareLF
}

/// One line of client input, without its line ending.
public struct InputLine: Sendable {
    public var bytes: ByteBuffer
    public var ending: LineEnding
    /// A CR inside the line that is not part of the final CR LF.
    public var containsBareCR: Bool
    /// The line was longer than the framer's limit: `bytes` is empty (the
    /// content was dropped as it arrived); `ending` is still the real one.
    public var overlong: Bool
    /// How many octets the line had on the wire, its ending included.
    public var wireLength: Int

    public init(
        bytes: ByteBuffer, ending: LineEnding, containsBareCR: Bool = false, overlong: Bool = false, wireLength: Int? = nil
    ) {
        self.bytes = bytes
        self.ending = ending
        self.containsBareCR = containsBareCR
        self.overlong = overlong
        self.wireLength = wireLength ?? (bytes.readableBytes + (ending == .crlf ? 2 : 1))
    }

    /// Whether the line ended cleanly with CR LF and contains no stray CR.
    public var isClean: Bool { ending == .crlf && !containsBareCR && !overlong }
}

/// Splits an SMTP byte stream into lines, with no knowledge of commands or DATA.
///
/// The framer stays mode-less on purpose: the session decides whether a line is
/// a command or message text, so nothing read ahead of a DATA/STARTTLS
/// decision is ever interpreted in the wrong mode. Lines are split on LF only;
/// the CR before it is recorded, and bare CRs and bare LFs are reported rather
/// than repaired, so that SMTP smuggling (`<LF>.<LF>` and friends) can be
/// refused by the session instead of silently ending a message.
public struct LineFramer: Sendable {
    /// The longest line content accepted, without its ending.
    public let maximumLineLength: Int
    /// Inside a line that crossed the limit: its bytes are dropped as they
    /// arrive, and it is reported once, when its LF comes, with its real ending.
    private var discardingOverlongLine = false
    private var discardedLength = 0
    private var lastDiscardedByteWasCR = false

    public init(maximumLineLength: Int) {
        self.maximumLineLength = maximumLineLength
    }

    /// Takes the next complete line out of `buffer`, or returns nil when more
    /// bytes are needed. A line longer than the limit is reported once, as
    /// `overlong`, when it ends; its content is never kept, so a client
    /// sending megabytes without a newline costs no memory.
    public mutating func next(from buffer: inout ByteBuffer) -> InputLine? {
        let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n"))
        let start = buffer.readerIndex
        if discardingOverlongLine {
            guard let newline else {
                discard(&buffer, upTo: buffer.writerIndex)
                return nil
            }
            let crBeforeLF =
                newline > start
                ? buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r")
                : lastDiscardedByteWasCR
            let wireLength = discardedLength + newline - start + 1
            buffer.moveReaderIndex(to: newline + 1)
            discardingOverlongLine = false
            return InputLine(bytes: ByteBuffer(), ending: crBeforeLF ? .crlf : .bareLF, overlong: true, wireLength: wireLength)
        }
        guard let newline else {
            // No LF yet. Past the limit (plus room for the CR) the line is
            // overlong: stop keeping it.
            if buffer.readableBytes > maximumLineLength + 1 {
                discardingOverlongLine = true
                discardedLength = 0
                discard(&buffer, upTo: buffer.writerIndex)
            }
            return nil
        }
        var contentLength = newline - start
        let ending: LineEnding
        if contentLength > 0, buffer.getInteger(at: newline - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            ending = .crlf
            contentLength -= 1
        } else {
            ending = .bareLF
        }
        let wireLength = newline - start + 1
        if contentLength > maximumLineLength {
            buffer.moveReaderIndex(to: newline + 1)
            return InputLine(bytes: ByteBuffer(), ending: ending, overlong: true, wireLength: wireLength)
        }
        let content = buffer.getSlice(at: start, length: contentLength)!
        buffer.moveReaderIndex(to: newline + 1)
        let hasCR = content.readableBytesView.contains(UInt8(ascii: "\r"))
        return InputLine(bytes: content, ending: ending, containsBareCR: hasCR, wireLength: wireLength)
    }

    private mutating func discard(_ buffer: inout ByteBuffer, upTo end: Int) {
        guard end > buffer.readerIndex else { return }
        lastDiscardedByteWasCR = buffer.getInteger(at: end - 1, as: UInt8.self) == UInt8(ascii: "\r")
        discardedLength += end - buffer.readerIndex
        buffer.moveReaderIndex(to: end)
    }
}
