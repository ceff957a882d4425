/// One argument of an IMAP command, before the command gives it a meaning.
///
/// A generic form on purpose: `FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS
/// (From)])`, `SEARCH OR FROM "a" TO {3}\r\nbob` and `STORE 1 +FLAGS
/// (\Seen)` all come down to atoms, strings and lists; each command then
/// reads what it expects from these (and says BAD when it is not there).
public indirect enum IMAPValue: Equatable, Sendable {
    /// An atom, possibly with a bracketed section and a partial, kept whole:
    /// `BODY.PEEK[HEADER.FIELDS (From To)]<0.100>`, `\Seen`, `1:*`, `$`.
    case atom(String)
    /// A quoted string, unescaped (`"a \"b\""` is `a "b"`).
    case quoted([UInt8])
    case literal([UInt8], binary: Bool)
    case list([IMAPValue])
    /// The atom NIL, which stands for "no string".
    case `nil`

    /// The value as a string (astring/nstring): atom, quoted or literal.
    public var string: [UInt8]? {
        switch self {
        case .atom(let text): return Array(text.utf8)
        case .quoted(let bytes): return bytes
        case .literal(let bytes, _): return bytes
        case .list, .nil: return nil
        }
    }
}

/// A parsed command line: `tag SP command-name [SP arguments]`.
public struct IMAPCommand: Equatable, Sendable {
    public var tag: String
    /// Upper-cased (`UID FETCH` is the name `UID` with `FETCH` as its first argument).
    public var name: String
    public var arguments: [IMAPValue]

    public init(tag: String, name: String, arguments: [IMAPValue]) {
        self.tag = tag
        self.name = name
        self.arguments = arguments
    }
}

/// Why a command could not be read; the session answers `tag BAD text`.
public struct IMAPSyntaxError: Error, Equatable, Sendable {
    public var tag: String
    public var text: String

    public init(tag: String, text: String) {
        self.tag = tag
        self.text = text
    }
}

/// Reads `IMAPCommandText` into an `IMAPCommand`. Strict where RFC 9051 is
/// (one space between arguments, CTLs only inside literals, closed quotes
/// and lists), bounded (list nesting), and never trapping on any input.
public struct IMAPCommandParser: Sendable {
    /// Deepest list nesting accepted (SEARCH needs a few; a client sending
    /// a thousand `(` wants the stack, not a search).
    public var maximumNesting = 32

    public init() {}

    public func parse(_ text: IMAPCommandText) throws(IMAPSyntaxError) -> IMAPCommand {
        var reader = Reader(segments: text.segments)
        let tag = text.tag
        let bad = { (reason: String) in IMAPSyntaxError(tag: tag, text: reason) }
        let tagBytes = reader.take { IMAPGrammar.isTagCharacter($0) }
        guard !tagBytes.isEmpty else { throw bad("Missing tag") }
        guard reader.skipSpace() else { throw bad("Missing command") }
        let nameBytes = reader.take { IMAPGrammar.isAtomCharacter($0) }
        guard !nameBytes.isEmpty else { throw bad("Missing command") }
        var arguments: [IMAPValue] = []
        while !reader.atEnd {
            guard reader.skipSpace() else { throw bad("Expected a space between arguments") }
            arguments.append(try value(&reader, depth: 0, bad: bad))
        }
        return IMAPCommand(tag: tag, name: String(decoding: nameBytes, as: UTF8.self).uppercased(), arguments: arguments)
    }

    private func value(
        _ reader: inout Reader, depth: Int, bad: (String) -> IMAPSyntaxError
    ) throws(IMAPSyntaxError) -> IMAPValue {
        if let literal = reader.takeLiteral() { return .literal(literal.bytes, binary: literal.binary) }
        guard let byte = reader.peek() else { throw bad("Missing argument") }
        switch byte {
        case UInt8(ascii: "\""):
            reader.advance()
            var bytes: [UInt8] = []
            while true {
                guard let next = reader.next() else { throw bad("Unterminated quoted string") }
                switch next {
                case UInt8(ascii: "\""): return .quoted(bytes)
                case UInt8(ascii: "\\"):
                    // quoted-specials only: `\"` and `\\`.
                    guard let escaped = reader.next(), escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else {
                        throw bad("Invalid escape in quoted string")
                    }
                    bytes.append(escaped)
                case 0x0D, 0x0A, 0x00: throw bad("Invalid character in quoted string")
                default: bytes.append(next)
                }
            }
        case UInt8(ascii: "("):
            guard depth < maximumNesting else { throw bad("Lists nested too deeply") }
            reader.advance()
            var items: [IMAPValue] = []
            while true {
                if reader.peek() == UInt8(ascii: ")") {
                    reader.advance()
                    return .list(items)
                }
                if !items.isEmpty {
                    guard reader.skipSpace() else { throw bad("Expected a space or ) in a list") }
                }
                items.append(try value(&reader, depth: depth + 1, bad: bad))
            }
        default:
            let atom = try self.atom(&reader, bad: bad)
            return atom.uppercased() == "NIL" ? .nil : .atom(atom)
        }
    }

    /// An atom, where list wildcards and `*` may appear (LIST patterns,
    /// sequence sets), and a `[...]` section, which may hold spaces and a
    /// list, is part of the atom, as is a following `<partial>`.
    private func atom(_ reader: inout Reader, bad: (String) -> IMAPSyntaxError) throws(IMAPSyntaxError) -> String {
        var bytes: [UInt8] = []
        // A flag: `\Seen`, `\Deleted` (flag-extension = "\" atom).
        if reader.peek() == UInt8(ascii: "\\") {
            reader.advance()
            bytes.append(UInt8(ascii: "\\"))
        }
        while let byte = reader.peek() {
            if byte == UInt8(ascii: "[") {
                reader.advance()
                bytes.append(byte)
                var depth = 0
                while true {
                    guard let next = reader.next() else {
                        throw bad("Unterminated [ in \(String(decoding: bytes, as: UTF8.self))")
                    }
                    guard next >= 0x20 && next < 0x7F else { throw bad("Invalid character in a section") }
                    bytes.append(next)
                    if next == UInt8(ascii: "(") { depth += 1 }
                    if next == UInt8(ascii: ")") { depth -= 1 }
                    if next == UInt8(ascii: "]") && depth <= 0 { break }
                }
            } else if IMAPGrammar.isListCharacter(byte) {
                reader.advance()
                bytes.append(byte)
            } else {
                break
            }
        }
        guard !bytes.isEmpty, bytes != [UInt8(ascii: "\\")] else {
            throw bad("Unexpected character \(Self.describe(reader.peek()))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func describe(_ byte: UInt8?) -> String {
        guard let byte else { return "at the end" }
        return byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
    }
}

/// Walks the segments of a command: bytes of its lines, literals as wholes.
private struct Reader {
    let segments: [IMAPCommandText.Segment]
    var segment = 0
    var offset = 0

    init(segments: [IMAPCommandText.Segment]) {
        self.segments = segments
        skipEmpty()
    }

    var atEnd: Bool { segment >= segments.count }

    /// Lines may be empty between literals (`{3}\r\nabc {3}\r\ndef`): step over them.
    private mutating func skipEmpty() {
        while segment < segments.count, case .line(let bytes) = segments[segment], offset >= bytes.count {
            segment += 1
            offset = 0
        }
    }

    func peek() -> UInt8? {
        guard segment < segments.count, case .line(let bytes) = segments[segment], offset < bytes.count else { return nil }
        return bytes[offset]
    }

    mutating func advance() {
        offset += 1
        skipEmpty()
    }

    mutating func next() -> UInt8? {
        guard let byte = peek() else { return nil }
        advance()
        return byte
    }

    mutating func take(while accept: (UInt8) -> Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        while let byte = peek(), accept(byte) {
            bytes.append(byte)
            advance()
        }
        return bytes
    }

    mutating func skipSpace() -> Bool {
        guard peek() == UInt8(ascii: " ") else { return false }
        advance()
        return true
    }

    mutating func takeLiteral() -> (bytes: [UInt8], binary: Bool)? {
        guard segment < segments.count, case .literal(let bytes, let binary) = segments[segment] else { return nil }
        segment += 1
        offset = 0
        skipEmpty()
        return (bytes, binary)
    }
}
