/// What FETCH knows of a message without reading it.
public struct FetchFacts: Sendable {
    public var sequence: Int
    public var uid: UInt32
    public var flags: [String]
    /// RFC822.SIZE: the size with CRLF line ends.
    public var size: Int
    public var internalDate: Int64

    public init(sequence: Int, uid: UInt32, flags: [String], size: Int, internalDate: Int64) {
        self.sequence = sequence
        self.uid = uid
        self.flags = flags
        self.size = size
        self.internalDate = internalDate
    }
}

extension FetchAttribute {
    /// Whether the message file must be read.
    public var needsContent: Bool {
        switch self {
        case .flags, .internalDate, .rfc822Size, .uid: return false
        default: return true
        }
    }

    /// Whether the header section alone answers it (ENVELOPE, the top-level
    /// HEADER sections): the file is then read only up to its blank line.
    public var needsOnlyHeader: Bool {
        switch self {
        case .flags, .internalDate, .rfc822Size, .uid, .envelope, .rfc822Header: return true
        case .bodySection(let section, _, _):
            guard section.part.isEmpty else { return false }
            switch section.text {
            case .header, .headerFields, .headerFieldsNot: return true
            default: return false
            }
        default: return false
        }
    }

    /// Whether fetching it sets \Seen (BODY[…] without PEEK, BINARY, RFC822, RFC822.TEXT).
    public var setsSeen: Bool {
        switch self {
        case .bodySection(_, _, let peek), .binary(_, _, let peek): return !peek
        case .rfc822, .rfc822Text: return true
        default: return false
        }
    }
}

/// One `* n FETCH (…)` response (RFC 9051 § 7.5.2), items in the order asked.
public enum FetchResponse {
    /// - Parameter content: the message with CRLF line ends; nil when no
    ///   attribute needs it, or when the file is gone (expunged meanwhile):
    ///   its content items are then empty.
    public static func render(_ facts: FetchFacts, attributes: [FetchAttribute], content: [UInt8]?) -> [UInt8] {
        var output = Array("* \(facts.sequence) FETCH (".utf8)
        var parsed: MIMEMessage?
        func message() -> MIMEMessage {
            if let parsed { return parsed }
            let made = MIMEMessage(content ?? [])
            parsed = made
            return made
        }
        for (position, attribute) in attributes.enumerated() {
            if position > 0 { output.append(UInt8(ascii: " ")) }
            switch attribute {
            case .uid: output += Array("UID \(facts.uid)".utf8)
            case .flags: output += Array("FLAGS \(IMAPResponseText.flagList(facts.flags))".utf8)
            case .internalDate:
                output += Array("INTERNALDATE \(IMAPResponseText.internalDate(secondsSince1970: facts.internalDate))".utf8)
            case .rfc822Size: output += Array("RFC822.SIZE \(facts.size)".utf8)
            case .envelope: output += Array("ENVELOPE ".utf8) + message().envelope
            case .bodyStructure: output += Array("BODYSTRUCTURE ".utf8) + message().bodyStructure(extensible: true)
            case .body: output += Array("BODY ".utf8) + message().bodyStructure(extensible: false)
            case .rfc822: output += Array("RFC822 ".utf8) + literal(content ?? [])
            case .rfc822Header:
                output += Array("RFC822.HEADER ".utf8) + literal(message().section(.init(part: [], text: .header)))
            case .rfc822Text:
                output += Array("RFC822.TEXT ".utf8) + literal(message().section(.init(part: [], text: .text)))
            case .bodySection(let section, let partial, _):
                let bytes: [UInt8]
                if section.part.isEmpty, section.text == .all {
                    bytes = content ?? []
                } else {
                    bytes = message().section(section)
                }
                output += Array("BODY[\(sectionText(section))]\(partialText(partial)) ".utf8)
                output += literal(partial.map { $0.apply(to: bytes) } ?? bytes)
            case .binary(let part, let partial, _):
                output += Array("BINARY[\(partText(part))]\(partialText(partial)) ".utf8)
                switch message().binary(part: part) {
                case .content(let bytes):
                    output += literal(partial.map { $0.apply(to: bytes) } ?? bytes, binary: true)
                case .unknownEncoding, .noSuchPart:
                    output += Array("NIL".utf8)
                }
            case .binarySize(let part):
                let size: Int
                if case .content(let bytes) = message().binary(part: part) { size = bytes.count } else { size = 0 }
                output += Array("BINARY.SIZE[\(partText(part))] \(size)".utf8)
            }
        }
        output += Array(")\r\n".utf8)
        return output
    }

    /// `{n}` CRLF and the bytes; `~{n}` when they hold NUL (RFC 3516 literal8).
    static func literal(_ bytes: [UInt8], binary: Bool = false) -> [UInt8] {
        let prefix = binary && bytes.contains(0) ? "~" : ""
        return Array("\(prefix){\(bytes.count)}\r\n".utf8) + bytes
    }

    static func partText(_ part: [Int]) -> String {
        part.map(String.init).joined(separator: ".")
    }

    /// The section as the response names it: `1.2.HEADER.FIELDS (FROM TO)`.
    static func sectionText(_ section: FetchAttribute.BodySection) -> String {
        var pieces: [String] = section.part.isEmpty ? [] : [partText(section.part)]
        switch section.text {
        case .all: break
        case .header: pieces.append("HEADER")
        case .text: pieces.append("TEXT")
        case .mime: pieces.append("MIME")
        case .headerFields(let names): pieces.append("HEADER.FIELDS (\(names.map { $0.uppercased() }.joined(separator: " ")))")
        case .headerFieldsNot(let names):
            pieces.append("HEADER.FIELDS.NOT (\(names.map { $0.uppercased() }.joined(separator: " ")))")
        }
        return pieces.joined(separator: ".")
    }

    /// A partial is answered with its start only (`BODY[]<0>`).
    static func partialText(_ partial: FetchAttribute.Partial?) -> String {
        partial.map { "<\($0.start)>" } ?? ""
    }
}
