/// Appends big-endian fields and uncompressed names to a DNS message.
///
/// Queries carry one name, so compression would save nothing; the writer
/// never compresses.
struct DNSWireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    mutating func write(_ value: UInt32) {
        write(UInt16(value >> 16))
        write(UInt16(value & 0xFFFF))
    }

    mutating func write(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    mutating func write(_ name: DNSName) {
        for label in name.labels {
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
        }
        bytes.append(0)
    }

    /// Overwrites a 16-bit field written earlier (an RDLENGTH, once the RDATA
    /// after it is known).
    mutating func patch(_ value: UInt16, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(value & 0xFF)
    }
}
