extension DNSMessage {
    /// The message in wire format, without name compression.
    ///
    /// Queries are all the resolver sends; encoding whole responses too keeps
    /// the codec symmetric, so tests and fake servers can build replies from
    /// values instead of hand-counted bytes.
    public func encoded() -> [UInt8] {
        var writer = DNSWireWriter()
        writer.write(id)
        var flags: UInt16 = 0
        if isResponse { flags |= 0x8000 }
        flags |= UInt16(opcode & 0x0F) << 11
        if isAuthoritative { flags |= 0x0400 }
        if isTruncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        flags |= UInt16(responseCode.rawValue & 0x0F)
        writer.write(flags)
        for count in [questions.count, answers.count, authority.count, additional.count] {
            writer.write(UInt16(clamping: count))
        }
        for question in questions {
            writer.write(question.name)
            writer.write(question.type.rawValue)
            writer.write(question.recordClass.rawValue)
        }
        for record in answers + authority + additional {
            Self.write(record, to: &writer)
        }
        return writer.bytes
    }

    private static func write(_ record: DNSResourceRecord, to writer: inout DNSWireWriter) {
        writer.write(record.name)
        writer.write(record.type.rawValue)
        writer.write(record.recordClass.rawValue)
        writer.write(record.ttl)
        let lengthOffset = writer.bytes.count
        writer.write(UInt16(0))
        switch record.data {
        case .a(let address):
            writer.write(address.octets)
        case .aaaa(let address):
            // All 16 bytes, even for an IPv4-mapped address.
            writer.write(address.bytes)
        case .cname(let name), .ptr(let name):
            writer.write(name)
        case .mx(let preference, let exchange):
            writer.write(preference)
            writer.write(exchange)
        case .soa(let soa):
            writer.write(soa.primaryServer)
            writer.write(soa.responsibleMailbox)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writer.write(value) }
        case .txt(let strings):
            // A character-string holds at most 255 octets; longer text goes
            // out as several strings, which readers join back together.
            for string in strings {
                var chunks = stride(from: 0, to: string.count, by: 255).map { Array(string[$0..<min($0 + 255, string.count)]) }
                if chunks.isEmpty { chunks = [[]] }
                for chunk in chunks {
                    writer.write(UInt8(chunk.count))
                    writer.write(chunk)
                }
            }
        case .other(_, let raw):
            writer.write(raw)
        }
        writer.patch(UInt16(clamping: writer.bytes.count - lengthOffset - 2), at: lengthOffset)
    }
}
