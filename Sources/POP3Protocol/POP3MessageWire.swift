/// Turns a stored message into the bytes RETR and TOP send.
///
/// RFC 1939 § 3: "If any line of the multi-line response begins with the
/// termination octet, the line is "byte-stuffed" by pre-pending the
/// termination octet to that line of the response." Lines are sent with
/// CR LF endings whatever the file holds (bare LF, or no final newline).
public enum POP3MessageWire {
    /// `+OK <octets> octets`, the message, and the terminating ".".
    ///
    /// RETR is the hot path of a download, so the message is copied in runs
    /// between the few places that change (a line starting with ".", a bare
    /// LF, a missing final newline) instead of line by line; the result is
    /// the same as sending each line of `forEachLine` stuffed and CR LF ended.
    public static func retrResponse(_ message: [UInt8], octets: Int) -> [UInt8] {
        var out = Array("+OK \(octets) octets\r\n".utf8)
        out.reserveCapacity(out.count + message.count + message.count / 32 + 8)
        message.withUnsafeBufferPointer { bytes in
            let cr = UInt8(ascii: "\r")
            let lf = UInt8(ascii: "\n")
            let dot = UInt8(ascii: ".")
            var runStart = 0
            var index = 0
            var lineStart = true
            while index < bytes.count {
                let byte = bytes[index]
                if lineStart && byte == dot {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    out.append(dot)
                    runStart = index
                }
                if byte == lf && (index == 0 || bytes[index - 1] != cr) {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                    out.append(cr)
                    runStart = index
                }
                lineStart = byte == lf
                index += 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
            if let last = bytes.last, last != lf {
                // The last line has no newline: end it (a lone CR counts as its start).
                if last != cr { out.append(cr) }
                out.append(lf)
            }
        }
        out += terminator
        return out
    }

    /// RFC 1939 § 7 (TOP): "the POP3 server sends the headers of the
    /// message, the blank line separating the headers from the body, and
    /// then the number of lines of the indicated message's body ... If the
    /// number of lines requested by the POP3 client is greater than than
    /// the number of lines in the body, then the POP3 server sends the
    /// entire message."
    public static func topResponse(_ message: [UInt8], lines: Int) -> [UInt8] {
        var out = Array("+OK Top of message follows\r\n".utf8)
        var inBody = false
        var remaining = lines
        forEachLine(message) { line in
            if inBody {
                guard remaining > 0 else { return false }
                remaining -= 1
            } else if line.isEmpty {
                inBody = true
            }
            appendStuffed(line, to: &out)
            return true
        }
        out += terminator
        return out
    }

    /// The size RFC 1939 reports for a message (STAT, LIST, RETR): its
    /// octets with CR LF line ends, without byte-stuffing or the final ".".
    public static func wireSize(of message: [UInt8]) -> Int {
        var size = 0
        forEachLine(message) { line in
            size += line.count + 2
            return true
        }
        return size
    }

    private static let terminator: [UInt8] = Array(".\r\n".utf8)

    /// Calls `body` with each line, its LF or CR LF removed; a last line
    /// without a newline counts too. Stops when `body` returns false.
    static func forEachLine(_ message: [UInt8], _ body: (ArraySlice<UInt8>) -> Bool) {
        var start = message.startIndex
        while start < message.endIndex {
            let newline = message[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? message.endIndex
            var contentEnd = end
            if contentEnd > start, message[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
            guard body(message[start..<contentEnd]) else { return }
            start = end + 1
        }
    }

    private static func appendStuffed(_ line: ArraySlice<UInt8>, to out: inout [UInt8]) {
        if line.first == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
        out += line
        out += [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    }
}
