import MailCore
import NIOCore

/// Why the server's bytes could not be read as SMTP replies. Any of these ends
/// the attempt: after a malformed reply the client can no longer tell which
/// command a later reply belongs to.
public enum ReplyDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A line that does not start with three digits followed by SP, "-" or the end of the line.
    case malformedLine(String)
    /// A reply code outside 200...599 (RFC 5321 § 4.2 defines no other classes the client may act on).
    case codeOutOfRange(Int)
    /// The lines of one multi-line reply carried different codes (RFC 5321 § 4.2.1).
    case inconsistentCode(expected: Int, found: Int)
    /// A line longer than the decoder accepts.
    case lineTooLong(Int)
    /// A multi-line reply with more lines than the decoder accepts.
    case tooManyLines(Int)

    public var description: String {
        switch self {
        case .malformedLine(let text): return "malformed reply line \"\(text)\""
        case .codeOutOfRange(let code): return "reply code \(code) out of range"
        case .inconsistentCode(let expected, let found):
            return "multi-line reply changed its code from \(expected) to \(found)"
        case .lineTooLong(let length): return "reply line longer than \(length) octets"
        case .tooManyLines(let count): return "multi-line reply longer than \(count) lines"
        }
    }
}

/// Turns the bytes a server sends into `SMTPReply` values.
///
/// Bytes may arrive in any split, one at a time included; the decoder keeps
/// what it has not yet consumed. RFC 5321 § 4.2.1: every line of a multi-line
/// reply carries the same code, with "-" after it on all lines but the last,
/// which has a space (or nothing, when the text is empty).
public struct SMTPReplyDecoder: Sendable {
    /// The longest reply line accepted, without its CRLF. RFC 5321 § 4.5.3.1.5
    /// allows 512 octets with the CRLF; real servers exceed it a little, and
    /// § 4.5.3.1 asks for tolerance, so the default is four times that.
    public let maximumLineLength: Int
    /// The most lines one reply may have (a long EHLO reply has about twenty).
    public let maximumLines: Int

    private var buffer = ByteBuffer()
    private var pendingCode: Int?
    private var pendingLines: [String] = []
    private var pendingEnhanced: [EnhancedStatusCode?] = []

    public init(maximumLineLength: Int = 2048, maximumLines: Int = 256) {
        self.maximumLineLength = maximumLineLength
        self.maximumLines = maximumLines
    }

    /// Adds received bytes; call `next()` until it returns nil.
    public mutating func feed(_ bytes: ByteBuffer) {
        var bytes = bytes
        buffer.writeBuffer(&bytes)
    }

    /// Adds received bytes; call `next()` until it returns nil.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.writeBytes(bytes)
    }

    /// Forgets every byte and partial reply received so far.
    ///
    /// RFC 3207 § 4.2: bytes that arrive between the 220 to STARTTLS and the
    /// handshake are not part of the protected session and are never read.
    public mutating func reset() {
        buffer.clear()
        pendingCode = nil
        pendingLines = []
        pendingEnhanced = []
    }

    /// Whether bytes of an incomplete reply are waiting.
    public var hasPartialReply: Bool { buffer.readableBytes > 0 || pendingCode != nil }

    /// The next complete reply, or nil when more bytes are needed.
    public mutating func next() throws(ReplyDecodingError) -> SMTPReply? {
        while let line = try nextLine() {
            let (code, isLast, text) = try Self.split(line)
            if let pendingCode, pendingCode != code {
                throw .inconsistentCode(expected: pendingCode, found: code)
            }
            pendingCode = code
            let (enhanced, rest) = Self.enhancedCode(in: text, replyCode: code)
            pendingLines.append(rest)
            pendingEnhanced.append(enhanced)
            if isLast {
                // A code counts only when every line carries the same one;
                // otherwise the text is kept as sent.
                let first = pendingEnhanced[0]
                let consistent = first != nil && pendingEnhanced.allSatisfy { $0 == first }
                let lines: [String]
                if consistent {
                    lines = pendingLines
                } else {
                    lines = zip(pendingLines, pendingEnhanced).map { text, code in
                        code.map { "\($0) \(text)" } ?? text
                    }
                }
                let reply = SMTPReply(code, consistent ? first : nil, lines)
                pendingCode = nil
                pendingLines = []
                pendingEnhanced = []
                return reply
            }
            if pendingLines.count >= maximumLines { throw .tooManyLines(maximumLines) }
        }
        return nil
    }

    /// The next line without its ending. A bare LF is accepted as a line end
    /// (RFC 5321 § 4.5.3.1 asks receivers for tolerance; the line is still
    /// unambiguous because replies carry no data).
    private mutating func nextLine() throws(ReplyDecodingError) -> [UInt8]? {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLineLength + 1 { throw .lineTooLong(maximumLineLength) }
            return nil
        }
        var line = Array(buffer.readableBytesView[buffer.readerIndex..<newline])
        buffer.moveReaderIndex(to: newline + 1)
        buffer.discardReadBytes()
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        if line.count > maximumLineLength { throw .lineTooLong(maximumLineLength) }
        return line
    }

    /// RFC 5321 § 4.2: `Reply-code [ SP textstring ] CRLF` for the last line,
    /// `Reply-code "-" [ textstring ] CRLF` for the others.
    private static func split(_ line: [UInt8]) throws(ReplyDecodingError) -> (code: Int, isLast: Bool, text: String) {
        let digits = line.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .malformedLine(printable(line))
        }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard (200...599).contains(code) else { throw .codeOutOfRange(code) }
        guard line.count > 3 else { return (code, true, "") }
        let isLast: Bool
        switch line[3] {
        case UInt8(ascii: " "): isLast = true
        case UInt8(ascii: "-"): isLast = false
        default: throw .malformedLine(printable(line))
        }
        // Reply text is meant to be ASCII; anything else is kept, repaired, for logs.
        return (code, isLast, String(decoding: line.dropFirst(4), as: UTF8.self))
    }

    /// RFC 2034 § 4 / RFC 3463 § 2: `class "." subject "." detail` at the
    /// start of the text, followed by a space or the end of the line. Its class
    /// must match the first digit of the reply code; a text that merely starts
    /// with numbers (such as a version) is left alone.
    static func enhancedCode(in text: String, replyCode: Int) -> (EnhancedStatusCode?, String) {
        let token = text.prefix { $0 != " " }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let statusClass = Int(parts[0]), let subject = Int(parts[1]), let detail = Int(parts[2]),
            parts[0].count == 1, statusClass == replyCode / 100
        else { return (nil, text) }
        let rest = text.dropFirst(token.count).drop { $0 == " " }
        return (EnhancedStatusCode(statusClass, subject, detail), String(rest))
    }

    /// A remote server's bytes as they may go into an error and the log (`LogField`).
    static func printable(_ line: [UInt8]) -> String {
        let text = LogField.text(bytes: line.prefix(80))
        return line.count > 80 ? text + "…" : text
    }
}
