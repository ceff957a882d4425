/// Messages as IMAP clients see them: every line ends in CRLF. A Maildir
/// file written by another program (or an old SIMS, or a script) may end
/// lines with a bare LF; RFC822.SIZE counts the CRLF form, so the bytes
/// sent must be that form too.
public enum MessageLineEnds {
    /// `bytes` with each bare LF made CRLF; the same array when there is none.
    public static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var bareLineFeeds = 0
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { bareLineFeeds += 1 }
            previous = byte
        }
        guard bareLineFeeds > 0 else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + bareLineFeeds)
        previous = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { output.append(0x0D) }
            output.append(byte)
            previous = byte
        }
        return output
    }
}
