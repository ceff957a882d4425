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

/// Collects reply lines until the last one (RFC 5321 § 4.2.1: "the format
/// for multiline replies requires that every line, except the last, begin
/// with the reply code, followed immediately by a hyphen").
public struct RelayProbeReplyAssembler: Sendable {
    private var lines: [String] = []

    public init() {}

    /// The whole reply when `line` (without its CRLF) ends one. A line that
    /// does not start with three digits is a protocol error, returned as a
    /// reply with code 0 so the probe gives up on the server.
    public mutating func receive(_ line: String) -> RelayProbeReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (0x30...0x39).contains($0) }),
            let code = Int(String(decoding: bytes[0..<3], as: UTF8.self))
        else {
            lines = []
            return RelayProbeReply(code: 0, lines: [line])
        }
        let text = bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : ""
        lines.append(text)
        if bytes.count > 3 && bytes[3] == UInt8(ascii: "-") { return nil }
        defer { lines = [] }
        return RelayProbeReply(code: code, lines: lines)
    }
}
