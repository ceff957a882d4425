/// One SMTP reply: a three-digit code, an optional enhanced status code, and
/// one or more lines of text.
///
/// RFC 5321 § 4.2.1: a multi-line reply repeats the code on every line,
/// separated by "-" on all lines but the last, which uses a space.
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var enhanced: EnhancedStatusCode?
    public var lines: [String]

    public init(_ code: Int, _ enhanced: EnhancedStatusCode?, _ lines: [String]) {
        precondition((200...599).contains(code), "reply code out of range")
        self.code = code
        self.enhanced = enhanced
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ enhanced: EnhancedStatusCode?, _ text: String) {
        self.init(code, enhanced, [text])
    }

    public var isPositive: Bool { code < 400 }
    public var isTransientFailure: Bool { (400..<500).contains(code) }
    public var isPermanentFailure: Bool { code >= 500 }

    /// The bytes that go on the wire, CRLF-terminated.
    public var wireText: String {
        var out = ""
        for (index, line) in lines.enumerated() {
            let separator = index == lines.count - 1 ? " " : "-"
            out += "\(code)\(separator)"
            if let enhanced { out += "\(enhanced) " }
            out += line
            out += "\r\n"
        }
        return out
    }

    /// The reply as one log-friendly line, without CRLF.
    public var description: String {
        let first = enhanced.map { "\(code) \($0) " } ?? "\(code) "
        return first + lines.joined(separator: " / ")
    }
}
