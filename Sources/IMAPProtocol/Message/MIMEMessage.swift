/// A message parsed for IMAP FETCH and SEARCH: its MIME structure (RFC
/// 2045/2046), found once, and the sections, ENVELOPE and BODYSTRUCTURE
/// read from it. Never fails: malformed MIME degrades to text/plain as
/// Dovecot does, and the limits bound the work any input can cause.
public struct MIMEMessage: Sendable {
    public struct Limits: Sendable {
        /// Multipart and message/rfc822 nesting; deeper parts are text/plain.
        public var maximumDepth = 20
        /// Parts in the whole message; further parts are not split out.
        public var maximumParts = 2000
        /// Fields kept per header, and ten times this in the whole message;
        /// the rest are not looked up (HEADER.FIELDS, Content-Type…) but
        /// stay in the header's bytes (BODY[HEADER], BODY[]).
        public var maximumHeaderFields = 5000

        public init() {}
    }

    let bytes: [UInt8]
    let parts: [MIMEPart]

    public init(_ bytes: [UInt8], limits: Limits = Limits()) {
        var parser = MIMEParser(bytes: bytes, limits: limits)
        _ = parser.parseEntity(start: 0, end: bytes.count, rawEnd: bytes.count, depth: 0, defaultType: .textPlain)
        parser.parts[Self.root].isMessage = true
        self.bytes = bytes
        self.parts = parser.parts
    }

    /// Index of the message itself.
    static let root = 0

    // MARK: Sections

    /// BODY[section] content before any partial (RFC 9051 § 6.4.5); empty
    /// when the section does not exist.
    public func section(_ section: FetchAttribute.BodySection) -> [UInt8] {
        guard let cursor = resolve(section.part) else { return [] }
        let part = parts[cursor.part]
        if !cursor.isBodyPart {
            // The message itself: no part number given.
            return messageSection(cursor.part, section.text)
        }
        switch section.text {
        case .all:
            return Array(bytes[part.bodyStart..<part.bodyEnd])
        case .mime:
            return part.header.sectionBytes(bytes)
        case .header, .headerFields, .headerFieldsNot, .text:
            // Only a message/rfc822 part has a header and text of its own.
            guard case .message(let message) = part.kind else { return [] }
            return messageSection(message, section.text)
        }
    }

    /// HEADER, TEXT, HEADER.FIELDS… of a message entity (the message or an
    /// encapsulated one).
    private func messageSection(_ index: Int, _ text: FetchAttribute.BodySection.Text) -> [UInt8] {
        let message = parts[index]
        switch text {
        case .all: return Array(bytes[message.header.start..<message.bodyEnd])
        case .header: return message.header.sectionBytes(bytes)
        case .text: return Array(bytes[message.bodyStart..<message.bodyEnd])
        case .mime: return []
        case .headerFields(let names): return headerFields(message.header, names: names, excluding: false)
        case .headerFieldsNot(let names): return headerFields(message.header, names: names, excluding: true)
        }
    }

    private func headerFields(_ header: MIMEHeader, names: [String], excluding: Bool) -> [UInt8] {
        let wanted = names.map { ByteScan.lowercased($0) }
        var output: [UInt8] = []
        for field in header.fields where wanted.contains(where: { field.hasName($0, in: bytes) }) != excluding {
            output += bytes[field.start..<field.end]
            if bytes[field.end - 1] != ByteScan.lineFeed { output += ByteScan.crlf }
        }
        // The blank line ends the section, if the header had one (Dovecot).
        return header.hasBlankLine ? output + ByteScan.crlf : output
    }

    // MARK: Part numbers

    /// Where a part number leads: `part`, either as the message entity
    /// itself (no number given) or as a numbered body part.
    struct Cursor: Equatable {
        var part: Int
        var isBodyPart: Bool
    }

    /// The parts numbered 1, 2, … below a cursor (RFC 9051 § 6.4.5): a
    /// multipart's parts; for a message/rfc822 part, those of the message
    /// it holds; a non-multipart message has its body as part 1.
    private func subparts(_ cursor: Cursor) -> [Cursor] {
        let part = parts[cursor.part]
        switch part.kind {
        case .multipart(let children):
            return children.map { Cursor(part: $0, isBodyPart: true) }
        case .message(let message) where cursor.isBodyPart:
            return subparts(Cursor(part: message, isBodyPart: false))
        default:
            // A message's single body is its part 1. A body part inside a
            // multipart is also its own part 1 (`BODY[2.1]` is `BODY[2]`), as
            // Dovecot answers; a message's body part has no part 1 again.
            if cursor.isBodyPart && part.isMessage { return [] }
            return [Cursor(part: cursor.part, isBodyPart: true)]
        }
    }

    func resolve(_ numbers: [Int]) -> Cursor? {
        var cursor = Cursor(part: Self.root, isBodyPart: false)
        for number in numbers {
            let candidates = subparts(cursor)
            guard number >= 1, number <= candidates.count else { return nil }
            cursor = candidates[number - 1]
        }
        return cursor
    }

    // MARK: BINARY

    /// RFC 3516 BINARY[part]: the part's content with base64/quoted-printable undone.
    public enum BinaryResult: Equatable, Sendable {
        case content([UInt8])
        /// The part's Content-Transfer-Encoding is not one the server knows (the client gets NO [UNKNOWN-CTE]).
        case unknownEncoding
        case noSuchPart
    }

    public func binary(part numbers: [Int]) -> BinaryResult {
        guard !numbers.isEmpty else { return .content(bytes) }
        guard let cursor = resolve(numbers) else { return .noSuchPart }
        guard let decoded = decodedBody(cursor.part) else { return .unknownEncoding }
        return .content(decoded)
    }

    private static let transferEncodingName = Array("content-transfer-encoding".utf8)

    /// The part's Content-Transfer-Encoding, lower-cased ("" when absent).
    func transferEncoding(_ index: Int) -> [UInt8] {
        guard let field = parts[index].header.first(Self.transferEncodingName, in: bytes) else { return [] }
        var lexer = MIMEValueLexer(MIMEHeader.value(field, in: bytes))
        return ByteScan.lowercased(lexer.token())
    }

    /// The body with its transfer encoding undone; nil for an unknown encoding.
    func decodedBody(_ index: Int) -> [UInt8]? {
        let part = parts[index]
        let body = bytes[part.bodyStart..<part.bodyEnd]
        switch String(decoding: transferEncoding(index), as: UTF8.self) {
        case "", "7bit", "8bit", "binary": return Array(body)
        case "base64": return TransferDecoding.base64(body)
        case "quoted-printable": return TransferDecoding.quotedPrintable(body)
        default: return nil
        }
    }

    // MARK: Header values

    /// Unfolded values of every top-level header field with this name (case-insensitive).
    public func headerValues(_ name: String) -> [[UInt8]] {
        let lowercasedName = ByteScan.lowercased(name)
        return parts[Self.root].header.fields.filter { $0.hasName(lowercasedName, in: bytes) }.map {
            MIMEHeader.value($0, in: bytes)
        }
    }

    /// The Date: header's calendar day as written, in its own time zone
    /// (SENTBEFORE/SENTON/SENTSINCE); nil if absent or unreadable.
    public var sentDate: SearchKey.SearchDate? {
        guard let value = headerValues("Date").first else { return nil }
        return SentDateParser.day(value)
    }
}

extension FetchAttribute.Partial {
    /// Applies `<start.count>` to content: the bytes from `start`, at most
    /// `count` of them; empty when `start` is past the end (RFC 9051 § 6.4.5).
    public func apply(to bytes: [UInt8]) -> [UInt8] {
        let first = Int(start)
        guard first < bytes.count else { return [] }
        let last = min(bytes.count, first + Int(count))
        return Array(bytes[first..<last])
    }
}
