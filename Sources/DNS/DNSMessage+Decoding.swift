import MailCore

extension DNSMessage {
    /// Decodes a message. Every count, length and pointer is checked: bad
    /// input throws a `DNSWireError`, it never traps or reads out of bounds.
    public init(decoding bytes: [UInt8]) throws(DNSWireError) {
        var reader = DNSWireReader(bytes)
        id = try reader.readUInt16()
        let flags = try reader.readUInt16()
        isResponse = flags & 0x8000 != 0
        opcode = UInt8((flags >> 11) & 0x0F)
        isAuthoritative = flags & 0x0400 != 0
        isTruncated = flags & 0x0200 != 0
        recursionDesired = flags & 0x0100 != 0
        recursionAvailable = flags & 0x0080 != 0
        responseCode = DNSResponseCode(rawValue: UInt8(flags & 0x0F))
        let questionCount = try reader.readUInt16()
        let answerCount = try reader.readUInt16()
        let authorityCount = try reader.readUInt16()
        let additionalCount = try reader.readUInt16()

        // Counts are not trusted for capacity: a 12-byte message may claim
        // 65535 records, so arrays grow only as records are actually read.
        var questions: [DNSQuestion] = []
        for _ in 0..<questionCount {
            let name = try reader.readName()
            let type = DNSRecordType(rawValue: try reader.readUInt16())
            let recordClass = DNSRecordClass(rawValue: try reader.readUInt16())
            questions.append(DNSQuestion(name: name, type: type, recordClass: recordClass))
        }
        self.questions = questions
        answers = try Self.readRecords(answerCount, from: &reader)
        authority = try Self.readRecords(authorityCount, from: &reader)
        additional = try Self.readRecords(additionalCount, from: &reader)
    }

    /// Decodes a reply and checks that it answers `query` (RFC 1035 § 7.3):
    /// QR set, the same ID, and the same single question.
    ///
    /// A truncated reply may come with an empty question section (some servers,
    /// dnslib among them, strip everything but the header); it is accepted
    /// because its only use is to send the query again over TCP, and the TCP
    /// reply is checked in full.
    public init(decodingResponse bytes: [UInt8], to query: DNSMessage) throws(DNSWireError) {
        // The ID first: a datagram for another query is a different mistake
        // from a garbled reply to this one, and the transport treats it so.
        if bytes.count >= 2 {
            let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            guard id == query.id else { throw .idMismatch(expected: query.id, received: id) }
        }
        let message = try DNSMessage(decoding: bytes)
        guard message.isResponse else { throw .notAResponse }
        if message.questions.isEmpty && message.isTruncated {
            self = message
            return
        }
        guard message.questions.count == 1, query.questions.count == 1,
            message.questions[0].matches(query.questions[0])
        else { throw .questionMismatch }
        self = message
    }

    private static func readRecords(_ count: UInt16, from reader: inout DNSWireReader) throws(DNSWireError)
        -> [DNSResourceRecord]
    {
        var records: [DNSResourceRecord] = []
        for _ in 0..<count {
            let name = try reader.readName()
            let type = DNSRecordType(rawValue: try reader.readUInt16())
            let recordClass = DNSRecordClass(rawValue: try reader.readUInt16())
            let ttl = try reader.readUInt32()
            let length = Int(try reader.readUInt16())
            guard reader.remaining >= length else { throw .truncated }
            let end = reader.offset + length
            let data = try readData(type, end: end, from: &reader)
            // RDATA must fill RDLENGTH exactly: a name that ran past it, or
            // octets left over, mean the record is not what it claims to be.
            guard reader.offset == end else { throw .invalidRecordData(type) }
            records.append(DNSResourceRecord(name: name, recordClass: recordClass, ttl: ttl, data: data))
        }
        return records
    }

    private static func readData(_ type: DNSRecordType, end: Int, from reader: inout DNSWireReader)
        throws(DNSWireError) -> DNSRecordData
    {
        let length = end - reader.offset
        switch type {
        case .a, .aaaa:
            guard length == (type == .a ? 4 : 16), let address = IPAddress(octets: try reader.readBytes(length)) else {
                throw .invalidRecordData(type)
            }
            return type == .a ? .a(address) : .aaaa(address)
        case .cname:
            return .cname(try reader.readName())
        case .ptr:
            return .ptr(try reader.readName())
        case .mx:
            guard length >= 3 else { throw .invalidRecordData(type) }
            let preference = try reader.readUInt16()
            return .mx(preference: preference, exchange: try reader.readName())
        case .soa:
            let primary = try reader.readName()
            let mailbox = try reader.readName()
            guard end - reader.offset == 20 else { throw .invalidRecordData(type) }
            return .soa(
                DNSStartOfAuthority(
                    primaryServer: primary, responsibleMailbox: mailbox, serial: try reader.readUInt32(),
                    refresh: try reader.readUInt32(), retry: try reader.readUInt32(), expire: try reader.readUInt32(),
                    minimum: try reader.readUInt32()))
        case .txt:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.readUInt8())
                guard reader.offset + count <= end else { throw .invalidRecordData(type) }
                strings.append(try reader.readBytes(count))
            }
            return .txt(strings)
        default:
            return .other(type, try reader.readBytes(length))
        }
    }
}
