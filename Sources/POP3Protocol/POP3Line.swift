/// One line of client input, without its line ending, as the driver reads
/// it with SMTPProtocol's `LineFramer` (the one framer for both protocols).
public struct POP3Line: Sendable, Hashable {
    /// The line's content (invalid UTF-8 is replaced; such a line never
    /// parses as a valid command).
    public var text: String
    /// The line ended in CR LF and holds no other CR.
    public var cleanEnding: Bool
    /// The line was longer than the framer keeps: `text` is empty.
    public var overlong: Bool

    public init(_ text: String, cleanEnding: Bool = true, overlong: Bool = false) {
        self.text = text
        self.cleanEnding = cleanEnding
        self.overlong = overlong
    }

    /// Octets on the wire, CR LF included (for an overlong line: unknown,
    /// reported as `Int.max`).
    var wireLength: Int { overlong ? .max : text.utf8.count + 2 }
}
