/// A message made ready for the DATA phase, with the facts MAIL FROM needs.
public struct OutboundMessage: Sendable, Hashable {
    /// The text as written after the 354: dot-stuffed, every line ending in
    /// CRLF, followed by the terminating ".CRLF".
    public let wireBytes: [UInt8]
    /// The message size for SIZE= (RFC 1870 § 3: the octets of the message with
    /// CRLF line endings, without the dot-stuffing and the final ".").
    public let size: Int
    /// Whether any octet has the high bit set (then BODY=8BITMIME, RFC 6152).
    public let hasEightBitData: Bool
    /// Whether the header section has non-ASCII octets (RFC 6532 internationalized headers).
    public let hasEightBitHeaders: Bool

    /// Prepares `message` (lines ending in CRLF, not dot-stuffed).
    ///
    /// RFC 5321 § 4.5.2: "Before sending a line of mail text, the SMTP client
    /// checks the first character of the line. If it is a period, one
    /// additional period is inserted at the beginning of the line."
    ///
    /// RFC 5321 § 2.3.8: CR and LF MUST only be sent together, as CRLF. A bare
    /// LF or a bare CR is therefore sent as CRLF, and the line after it is
    /// dot-stuffed like any other: a receiver that takes a lone CR or LF for a
    /// line end must never see an unstuffed "." line that ends the message
    /// early (SMTP smuggling). A message not ending in CRLF gets one, so the
    /// final "." stands on its own line (§ 4.1.1.4).
    public init(_ message: [UInt8]) {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 5)
        var size = 0
        var atLineStart = true
        var eightBit = false
        var eightBitHeaders = false
        var inHeaders = true
        var lineIsEmpty = true
        var index = 0
        while index < message.count {
            let byte = message[index]
            if byte == cr || byte == lf {
                // CRLF, bare CR and bare LF all end one line.
                if byte == cr, index + 1 < message.count, message[index + 1] == lf { index += 1 }
                out.append(cr)
                out.append(lf)
                size += 2
                if lineIsEmpty { inHeaders = false }
                atLineStart = true
                lineIsEmpty = true
                index += 1
                continue
            }
            if atLineStart && byte == dot { out.append(dot) }
            if byte >= 0x80 {
                eightBit = true
                if inHeaders { eightBitHeaders = true }
            }
            out.append(byte)
            size += 1
            atLineStart = false
            lineIsEmpty = false
            index += 1
        }
        if !atLineStart {
            out.append(cr)
            out.append(lf)
            size += 2
        }
        out.append(contentsOf: [dot, cr, lf])
        wireBytes = out
        self.size = size
        hasEightBitData = eightBit
        hasEightBitHeaders = eightBitHeaders
    }
}
