import NIOCore

/// Turns a stored message into the bytes RETR and TOP send.
///
/// RFC 1939 § 3: "If any line of the multi-line response begins with the
/// termination octet, the line is "byte-stuffed" by pre-pending the
/// termination octet to that line of the response." Lines are sent with
/// CR LF endings whatever the file holds (bare LF, or no final newline).
public enum POP3MessageWire {
    /// `+OK <octets> octets`, the message, and the terminating "." (the
    /// server writes the same bytes straight into a ByteBuffer with
    /// `writeRetrResponse(_:octets:into:)`).
    public static func retrResponse(_ message: [UInt8], octets: Int) -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: message.count + 32)
        message.withUnsafeBytes { writeRetrResponse($0, octets: octets, into: &buffer) }
        return Array(buffer.readableBytesView)
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
