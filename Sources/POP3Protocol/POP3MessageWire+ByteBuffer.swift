import Foundation  // memchr
import NIOCore

extension POP3MessageWire {
    /// Appends what RETR sends (`+OK <octets> octets`, the message with CR LF
    /// line ends and byte-stuffed lines, the final ".") to `buffer`.
    ///
    /// This is the download hot path: the server reads the file into memory
    /// and writes the response straight into the ByteBuffer that goes to the
    /// socket. Lines are found with `memchr`, and the message is copied in
    /// runs between the few places that change (a line starting with ".",
    /// a bare LF, a missing final newline): a well-formed CR LF message is a
    /// handful of `memcpy`s. The result equals sending each line of
    /// `forEachLine` stuffed and CR LF ended (see MessageWireEquivalenceTests).
    public static func writeRetrResponse(_ message: UnsafeRawBufferPointer, octets: Int, into buffer: inout ByteBuffer) {
        buffer.writeString("+OK \(octets) octets\r\n")
        buffer.reserveCapacity(minimumWritableBytes: message.count + message.count / 32 + 8)
        guard let base = message.baseAddress?.assumingMemoryBound(to: UInt8.self), !message.isEmpty else {
            buffer.writeStaticString(".\r\n")
            return
        }
        let count = message.count
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        func copy(_ range: Range<Int>) {
            buffer.writeBytes(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
        }
        var runStart = 0
        var lineStart = 0
        while lineStart < count {
            if base[lineStart] == dot {
                // RFC 1939 § 3: a line that begins with the termination octet is byte-stuffed.
                copy(runStart..<lineStart)
                buffer.writeInteger(dot)
                runStart = lineStart
            }
            guard let found = memchr(base + lineStart, Int32(lf), count - lineStart) else { break }
            let newline = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
            if newline == 0 || base[newline - 1] != cr {
                copy(runStart..<newline)
                buffer.writeInteger(cr)
                runStart = newline
            }
            lineStart = newline + 1
        }
        copy(runStart..<count)
        let last = base[count - 1]
        if last != lf {
            // The last line has no newline: end it (a lone CR counts as its start).
            if last != cr { buffer.writeInteger(cr) }
            buffer.writeInteger(lf)
        }
        buffer.writeStaticString(".\r\n")
    }
}
