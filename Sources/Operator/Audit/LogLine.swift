/// One SIMS log line split into its fields:
///
///     2026-11-29T22:08:06.123Z 2 SMTP-17 [S.1A2B3C] 203.0.113.5 received 1093 bytes …
///
/// time, level, source (a connection id such as `SMTP-17`, or a module such
/// as `QUEUE`), the queue id when a transaction exists, the client address
/// on connection lines, and the text. A view over bytes: valid only while
/// the line is being read.
public struct LogLine {
    public var time: Int64
    public var level: Int
    public var source: LogBytes
    public var queueID: LogBytes?
    public var client: LogBytes?
    public var text: LogBytes
    public var whole: LogBytes

    /// Nil for a line that is not a SIMS log line (it is then counted, not an error).
    public init?(_ line: LogBytes) {
        guard line.count > 26, let time = LogTime.parse(line) else { return nil }
        var rest = line
        guard let afterTime = Self.skipWord(&rest), afterTime.count >= 19 else { return nil }
        guard let level = Self.skipWord(&rest), level.count == 1, let number = level.leadingNumber else { return nil }
        guard let source = Self.skipWord(&rest) else { return nil }
        self.time = time
        self.level = number
        self.source = source
        whole = line
        if rest.first == UInt8(ascii: "["), let close = rest.firstIndex(of: UInt8(ascii: "]")) {
            queueID = rest[(rest.startIndex + 1)..<close]
            rest = rest[(close + 1)...]
            if rest.first == UInt8(ascii: " ") { rest = rest.dropFirst() }
        }
        // Only connection lines carry the client's address; a queue line such
        // as `1 recipient(s) deferred` must not lose its first word.
        if source.contains(UInt8(ascii: "-")), let space = rest.firstIndex(of: UInt8(ascii: " ")),
            Self.looksLikeAddress(rest[..<space])
        {
            client = rest[..<space]
            rest = rest[(space + 1)...]
        }
        text = rest
    }

    /// The source is a connection (`SMTP-3`, `SUBMIT-1`, `POP3-2`), not a module.
    public var isConnection: Bool { source.contains(UInt8(ascii: "-")) }

    private static func skipWord(_ rest: inout LogBytes) -> LogBytes? {
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        let word = rest[..<space]
        rest = rest[(space + 1)...]
        return word.isEmpty ? nil : word
    }

    /// An IPv4 or IPv6 address (hex digits, dots, colons), or `localhost`.
    static func looksLikeAddress(_ word: LogBytes) -> Bool {
        guard !word.isEmpty else { return false }
        var separator = false
        for byte in word {
            switch byte {
            case UInt8(ascii: "."), UInt8(ascii: ":"): separator = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                UInt8(ascii: "A")...UInt8(ascii: "F"), UInt8(ascii: "%"):
                continue
            default: return word.elementsEqual("localhost".utf8)
            }
        }
        return separator
    }
}
