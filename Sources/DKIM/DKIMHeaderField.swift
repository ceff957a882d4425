/// One header field of a message as DKIM sees it: its name and its whole
/// text, folding included, each line ended by CRLF.
public struct DKIMHeaderField: Sendable, Equatable {
    /// The name as written (before the colon), without surrounding white space.
    public var name: String
    /// The field as it appears in the message, ending with CRLF.
    public var text: [UInt8]

    public init(name: String, text: [UInt8]) {
        self.name = name
        self.text = text
    }

    /// The value: everything after the first colon, unfolded lines included.
    public var value: ArraySlice<UInt8> {
        guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return text[text.endIndex...] }
        return text[(colon + 1)...]
    }

    /// The header section of a message, split into fields.
    ///
    /// A line that starts with a space or tab continues the field before it
    /// (RFC 5322 § 2.2.3). A bare LF is taken as a line end and written as
    /// CRLF: SMTP carries lines, and the copy that leaves is sent with CRLF
    /// (SIMS refuses bare LF in DATA, so only other callers see it). A line
    /// without a colon is not a field and is skipped. Reading stops at the
    /// empty line that ends the section.
    public static func fields(in section: some BidirectionalCollection<UInt8>) -> [DKIMHeaderField] {
        var fields: [DKIMHeaderField] = []
        var current: [UInt8]?
        func finish() {
            guard let text = current else { return }
            current = nil
            guard let colon = text.firstIndex(of: UInt8(ascii: ":")) else { return }
            let name = String(decoding: text[..<colon], as: UTF8.self).trimmingWhiteSpace
            guard !name.isEmpty else { return }
            fields.append(DKIMHeaderField(name: name, text: text))
        }
        for line in Lines(section) {
            if line.isEmpty { break }
            if let first = line.first, first == 0x20 || first == 0x09, current != nil {
                current?.append(contentsOf: line)
                current?.append(contentsOf: crlf)
                continue
            }
            finish()
            current = Array(line) + crlf
        }
        finish()
        return fields
    }
}

let crlf: [UInt8] = [0x0D, 0x0A]

/// Lines of bytes without their ending (CRLF, or a bare LF); a last line
/// without an ending is a line too.
struct Lines<Bytes: BidirectionalCollection<UInt8>>: Sequence, IteratorProtocol {
    private var rest: Bytes.SubSequence

    init(_ bytes: Bytes) { rest = bytes[...] }

    mutating func next() -> Bytes.SubSequence? {
        guard !rest.isEmpty else { return nil }
        guard let newline = rest.firstIndex(of: 0x0A) else {
            defer { rest = rest[rest.endIndex...] }
            return rest
        }
        var line = rest[..<newline]
        if line.last == 0x0D { line = line.dropLast() }
        rest = rest[rest.index(after: newline)...]
        return line
    }
}

extension String {
    var trimmingWhiteSpace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" { scalars = scalars.dropFirst() }
        while let last = scalars.last, last == " " || last == "\t" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
