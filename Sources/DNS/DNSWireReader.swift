/// Reads big-endian fields and compressed names out of one DNS message,
/// checking every offset against the message's length.
struct DNSWireReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func readUInt8() throws(DNSWireError) -> UInt8 {
        guard remaining >= 1 else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readUInt16() throws(DNSWireError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readUInt32() throws(DNSWireError) -> UInt32 {
        let high = try readUInt16()
        let low = try readUInt16()
        return UInt32(high) << 16 | UInt32(low)
    }

    mutating func readBytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a possibly compressed name (RFC 1035 § 4.1.4) and leaves the
    /// reader after the name's last octet in place (after the first pointer).
    ///
    /// "a pointer to a prior occurrence of the same name": every pointer must
    /// point before the start of the name and before the previous pointer's
    /// target. Targets therefore strictly decrease, so no crafted message can
    /// make this loop, however the pointers are arranged.
    mutating func readName() throws(DNSWireError) -> DNSName {
        var labels: [[UInt8]] = []
        var wireLength = 1
        var position = offset
        var limit = offset
        var resumeAt: Int? = nil
        while true {
            guard position < bytes.count else { throw .truncated }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resumeAt ?? position + 1
                    return try DNSName(labels: labels)
                }
                let start = position + 1
                let end = start + Int(length)
                guard end <= bytes.count else { throw .truncated }
                wireLength += 1 + Int(length)
                guard wireLength <= DNSName.maximumWireLength else { throw .nameTooLong }
                labels.append(Array(bytes[start..<end]))
                position = end
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < bytes.count else { throw .pointerOutOfRange(position) }
                guard target < limit else { throw .pointerLoop(position) }
                if resumeAt == nil { resumeAt = position + 2 }
                limit = target
                position = target
            default:
                throw .reservedLabelType(length)
            }
        }
    }
}
