import NIOCore

/// Finds the Message-ID (RFC 5322 § 3.6.4) of a received message, for the
/// log line that lets `sims explain` find a message by it.
public enum MessageIDHeader {
    /// The longest Message-ID the log repeats; longer ones are not ids anyone types.
    static let maximumLength = 250

    /// The `<…>` value of the first Message-ID field in the header section,
    /// unfolded; nil when there is none or it is not printable ASCII.
    public static func find(in message: ByteBuffer) -> String? {
        let bytes = message.readableBytesView
        var lineStart = bytes.startIndex
        while lineStart < bytes.endIndex {
            guard let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            let line = bytes[lineStart..<lineEnd]
            if line.isEmpty || line == [UInt8(ascii: "\r")] { return nil }  // the end of the header section
            if line.count > 11, line.prefix(11).map(lowercased).elementsEqual("message-id:".utf8) {
                var value = Array(line.dropFirst(11))
                // Folded continuation lines (RFC 5322 § 2.2.3) belong to this field.
                var next = lineEnd + 1
                while next < bytes.endIndex, bytes[next] == UInt8(ascii: " ") || bytes[next] == UInt8(ascii: "\t"),
                    let end = bytes[next...].firstIndex(of: UInt8(ascii: "\n"))
                {
                    value += bytes[next..<end]
                    next = end + 1
                }
                return angleAddress(in: value)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    private static func angleAddress(in value: [UInt8]) -> String? {
        guard let open = value.firstIndex(of: UInt8(ascii: "<")),
            let close = value[open...].firstIndex(of: UInt8(ascii: ">"))
        else { return nil }
        let id = value[open...close]
        guard id.count <= maximumLength, id.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        return String(decoding: id, as: UTF8.self)
    }
}
