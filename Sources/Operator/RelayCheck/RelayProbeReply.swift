import MailCore

/// One SMTP reply as the probe sees it (RFC 5321 § 4.2): a code and its text.
public struct RelayProbeReply: Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: Int
    /// The text of every line after the code, in order.
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    public var isPositive: Bool { (200..<300).contains(code) }
    public var isTemporary: Bool { (400..<500).contains(code) }
    public var isPermanent: Bool { (500..<600).contains(code) }

    /// `250 2.1.5 Ok`; a multi-line reply's lines joined by ` / `.
    public var description: String { "\(code) " + lines.joined(separator: " / ") }
}

extension RelayProbeReply {
    /// The record of a reply read by SMTPClient's `SMTPReplyDecoder`: each
    /// line's text as the server sent it after the code, enhanced code included.
    public init(_ reply: SMTPReply) {
        let prefix = reply.enhanced.map { "\($0) " } ?? ""
        self.init(code: reply.code, lines: reply.lines.map { prefix + $0 })
    }
}
