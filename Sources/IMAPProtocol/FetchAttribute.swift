/// What a FETCH asks for (RFC 9051 § 6.4.5, `fetch-att`; BINARY RFC 3516).
public enum FetchAttribute: Equatable, Sendable {
    case envelope
    case flags
    case internalDate
    case rfc822Size
    case uid
    case bodyStructure
    /// `BODY` without a section: the non-extensible BODYSTRUCTURE.
    case body
    /// `BODY[section]<partial>`; `peek` does not set \Seen.
    case bodySection(BodySection, partial: Partial?, peek: Bool)
    /// `BINARY[part]<partial>`: the part with its transfer encoding undone.
    case binary(part: [Int], partial: Partial?, peek: Bool)
    case binarySize(part: [Int])
    /// IMAP4rev1's RFC822 forms, still sent by old clients.
    case rfc822
    case rfc822Header
    case rfc822Text

    /// `<start.count>`.
    public struct Partial: Equatable, Sendable {
        public var start: UInt32
        public var count: UInt32

        public init(start: UInt32, count: UInt32) {
            self.start = start
            self.count = count
        }
    }

    /// Which part of the message `BODY[…]` means.
    public struct BodySection: Equatable, Sendable {
        public enum Text: Equatable, Sendable {
            /// The whole part (`BODY[]`, `BODY[1.2]`).
            case all
            case header
            case headerFields([String])
            case headerFieldsNot([String])
            case text
            /// The MIME header of a part (needs a part number).
            case mime
        }

        /// Part numbers (`1.2` is [1, 2]); empty: the message itself.
        public var part: [Int]
        public var text: Text

        public init(part: [Int] = [], text: Text = .all) {
            self.part = part
            self.text = text
        }
    }

    /// The attributes a FETCH argument asks for: one attribute, a
    /// parenthesized list, or a macro (ALL, FAST, FULL); nil when any is not
    /// a fetch attribute (the command is then BAD).
    public static func parse(_ value: IMAPValue) -> [FetchAttribute]? {
        switch value {
        case .list(let items):
            guard !items.isEmpty else { return nil }
            var attributes: [FetchAttribute] = []
            for item in items {
                guard case .atom(let atom) = item, let attribute = attribute(atom) else { return nil }
                attributes.append(attribute)
            }
            return attributes
        case .atom(let atom):
            switch atom.uppercased() {
            case "ALL": return [.flags, .internalDate, .rfc822Size, .envelope]
            case "FAST": return [.flags, .internalDate, .rfc822Size]
            case "FULL": return [.flags, .internalDate, .rfc822Size, .envelope, .body]
            default: return attribute(atom).map { [$0] }
            }
        default:
            return nil
        }
    }

    static func attribute(_ atom: String) -> FetchAttribute? {
        // The name is everything before `[`; the section and partial follow.
        let name = String(atom.prefix { $0 != "[" }).uppercased()
        let rest = atom.dropFirst(name.count)
        if rest.isEmpty {
            switch name {
            case "ENVELOPE": return .envelope
            case "FLAGS": return .flags
            case "INTERNALDATE": return .internalDate
            case "RFC822.SIZE": return .rfc822Size
            case "UID": return .uid
            case "BODYSTRUCTURE": return .bodyStructure
            case "BODY": return .body
            case "RFC822": return .rfc822
            case "RFC822.HEADER": return .rfc822Header
            case "RFC822.TEXT": return .rfc822Text
            default: return nil
            }
        }
        guard let close = rest.firstIndex(of: "]") else { return nil }
        let sectionText = String(rest[rest.index(after: rest.startIndex)..<close])
        let partialText = rest[rest.index(after: close)...]
        var partial: Partial?
        if !partialText.isEmpty {
            guard let parsed = Self.partial(partialText) else { return nil }
            partial = parsed
        }
        switch name {
        case "BODY", "BODY.PEEK":
            guard let section = Self.section(sectionText) else { return nil }
            return .bodySection(section, partial: partial, peek: name == "BODY.PEEK")
        case "BINARY", "BINARY.PEEK":
            guard let part = Self.partNumbers(sectionText) else { return nil }
            return .binary(part: part, partial: partial, peek: name == "BINARY.PEEK")
        case "BINARY.SIZE":
            guard partial == nil, let part = Self.partNumbers(sectionText) else { return nil }
            return .binarySize(part: part)
        default:
            return nil
        }
    }

    /// `<0.1024>`: start and a non-zero count.
    static func partial(_ text: Substring) -> Partial? {
        guard text.first == "<", text.last == ">" else { return nil }
        let numbers = text.dropFirst().dropLast().split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 2, let start = number(numbers[0]), let count = number(numbers[1]), count > 0 else { return nil }
        return Partial(start: start, count: count)
    }

    private static func number(_ text: Substring) -> UInt32? {
        guard !text.isEmpty, text.count <= 10, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(text)
    }

    /// `1.2.3` (nz-numbers), or empty for the whole message.
    static func partNumbers(_ text: String) -> [Int]? {
        guard !text.isEmpty else { return [] }
        var part: [Int] = []
        for piece in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard let value = number(piece), value > 0 else { return nil }
            part.append(Int(value))
        }
        return part
    }

    /// `HEADER`, `HEADER.FIELDS (From To)`, `1.2.TEXT`, `2.MIME`, `1.2`, ``.
    static func section(_ text: String) -> BodySection? {
        var part: [Int] = []
        var rest = Substring(text)
        // Leading part numbers, each followed by a dot or the end.
        while let first = rest.first, first.isASCII, first.isNumber {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard let value = number(digits), value > 0 else { return nil }
            part.append(Int(value))
            rest = rest.dropFirst(digits.count)
            guard rest.isEmpty || rest.first == "." else { return nil }
            rest = rest.dropFirst()
            if rest.isEmpty && text.hasSuffix(".") { return nil }
        }
        let upper = rest.uppercased()
        switch upper {
        case "": return BodySection(part: part, text: .all)
        case "HEADER": return BodySection(part: part, text: .header)
        case "TEXT": return BodySection(part: part, text: .text)
        case "MIME": return part.isEmpty ? nil : BodySection(part: part, text: .mime)
        default:
            for (prefix, not) in [("HEADER.FIELDS.NOT ", true), ("HEADER.FIELDS ", false)] where upper.hasPrefix(prefix) {
                let list = rest.dropFirst(prefix.count)
                guard list.first == "(", list.last == ")" else { return nil }
                let names = list.dropFirst().dropLast().split(separator: " ").map(String.init)
                guard !names.isEmpty,
                    names.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") } })
                else { return nil }
                return BodySection(part: part, text: not ? .headerFieldsNot(names) : .headerFields(names))
            }
            return nil
        }
    }
}
