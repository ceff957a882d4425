/// Builds DNS messages byte by byte, so that decoder tests use bytes written
/// independently of the encoder under test.
struct WireBuilder {
    var bytes: [UInt8] = []

    var offset: UInt16 { UInt16(bytes.count) }

    /// A header; flags 0x8180 is QR, RD and RA with NOERROR.
    static func header(
        id: UInt16 = 0x1234, flags: UInt16 = 0x8180, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0
    )
        -> WireBuilder
    {
        var builder = WireBuilder()
        for field in [id, flags, qd, an, ns, ar] { builder.u16(field) }
        return builder
    }

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }

    mutating func u32(_ value: UInt32) {
        u16(UInt16(value >> 16))
        u16(UInt16(value & 0xFFFF))
    }

    mutating func raw(_ value: [UInt8]) { bytes += value }

    /// Labels of `text` (may be empty), then either the root or a pointer.
    mutating func name(_ text: String, pointer: UInt16? = nil) {
        for label in text.split(separator: ".") {
            u8(UInt8(label.utf8.count))
            raw(Array(label.utf8))
        }
        if let pointer { u16(0xC000 | pointer) } else { u8(0) }
    }

    /// A question entry: name, type, class IN.
    mutating func question(_ text: String, type: UInt16) {
        name(text)
        u16(type)
        u16(1)
    }

    /// Record fields after the owner name, with `rdata` written by `body`;
    /// RDLENGTH is filled in afterwards unless `length` forces a value.
    mutating func record(type: UInt16, ttl: UInt32 = 300, length: UInt16? = nil, _ body: (inout WireBuilder) -> Void) {
        u16(type)
        u16(1)
        u32(ttl)
        let lengthAt = bytes.count
        u16(0)
        body(&self)
        let actual = UInt16(bytes.count - lengthAt - 2)
        let value = length ?? actual
        bytes[lengthAt] = UInt8(value >> 8)
        bytes[lengthAt + 1] = UInt8(value & 0xFF)
    }
}

/// Offset of the question name in a message with a 12-octet header.
let questionOffset: UInt16 = 12
